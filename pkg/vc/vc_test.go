package vc

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const v2Example = `{
  "@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://example.org/vocab#"}, "https://example.org/ctx/v1"],
  "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
  "type": ["VerifiableCredential", "BusinessRegistration"],
  "issuer": {"id": "did:web:acra.example.sg", "name": "ACRA"},
  "validFrom": "2026-01-01T00:00:00Z",
  "validUntil": "2027-01-01T00:00:00.5+08:00",
  "credentialSubject": {"id": "did:web:acme.example.sg", "uen": "201912345K", "address": {"country": "SG"}},
  "credentialStatus": {"id": "https://issuer.example/status/1#94567", "type": "BitstringStatusListEntry",
     "statusPurpose": "revocation", "statusListIndex": "94567", "statusListCredential": "https://issuer.example/status/1"},
  "credentialSchema": {"id": "https://example.org/schema.json", "type": "JsonSchema"},
  "evidence": [{"type": "DocumentVerification"}],
  "x-unknown": {"kept": [1, 2, 3]}
}`

const v1Example = `{
  "@context": ["https://www.w3.org/2018/credentials/v1"],
  "type": "VerifiableCredential",
  "issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
  "issuanceDate": "2020-01-01T19:23:24Z",
  "expirationDate": "2030-01-01T19:23:24Z",
  "credentialSubject": [{"id": "did:example:1", "name": "A"}, {"id": "did:example:2", "name": "B"}],
  "proof": {"type": "Ed25519Signature2020", "proofValue": "z123"}
}`

func TestParseCredentialV2(t *testing.T) {
	c, err := ParseCredential([]byte(v2Example))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() != 2 {
		t.Fatalf("version %d", c.Version())
	}
	if c.Issuer.ID != "did:web:acra.example.sg" || string(c.Issuer.Extra["name"]) != `"ACRA"` {
		t.Fatalf("issuer %+v", c.Issuer)
	}
	if want := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); !c.ValidFrom.Equal(want) {
		t.Fatalf("validFrom %v", c.ValidFrom)
	}
	if c.SubjectID() != "did:web:acme.example.sg" || c.Subject[0]["uen"] != "201912345K" {
		t.Fatalf("subject %v", c.Subject)
	}
	if len(c.Status) != 1 || c.Status[0]["statusListIndex"] != "94567" {
		t.Fatalf("status %v", c.Status)
	}
	if _, ok := c.Extra["x-unknown"]; !ok {
		t.Fatal("unknown member lost")
	}
	if _, ok := c.Context[1].(json.RawMessage); !ok {
		t.Fatalf("object context kept as %T", c.Context[1])
	}
}

// TestRoundTrip checks that marshalling a parsed credential gives a document
// equal to the input (as JSON values) and keeps @context order.
func TestRoundTrip(t *testing.T) {
	for name, in := range map[string]string{"v2": v2Example, "v1": v1Example} {
		t.Run(name, func(t *testing.T) {
			c, err := ParseCredential([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			if err := json.Unmarshal([]byte(in), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("round trip differs:\nin  %s\nout %s", in, out)
			}
			if !strings.HasPrefix(string(out), `{"@context":["https://www.w3.org/`) {
				t.Fatalf("@context not first: %s", out)
			}
		})
	}
}

func TestMarshalChangedDate(t *testing.T) {
	c, err := ParseCredential([]byte(v1Example))
	if err != nil {
		t.Fatal(err)
	}
	nt := time.Date(2031, 2, 3, 4, 5, 6, 0, time.FixedZone("x", 3600))
	c.ValidUntil = &nt
	out, _ := json.Marshal(c)
	if !strings.Contains(string(out), `"expirationDate":"2031-02-03T03:05:06Z"`) {
		t.Fatalf("changed date not written in UTC: %s", out)
	}
	if strings.Contains(string(out), "validUntil") {
		t.Fatalf("v1 credential wrote v2 names: %s", out)
	}
}

func TestNewCredentialMarshal(t *testing.T) {
	from := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	c := &Credential{
		Context:   []any{ContextV2},
		Type:      []string{TypeCredential, "X"},
		Issuer:    Issuer{ID: "did:web:i.example"},
		ValidFrom: &from,
		Subject:   []map[string]any{{"id": "did:example:s", "k": "v"}},
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","X"],"issuer":"did:web:i.example","validFrom":"2026-05-01T00:00:00Z","credentialSubject":{"id":"did:example:s","k":"v"}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	if _, err := ParseCredential(b); err != nil {
		t.Fatal(err)
	}
}

// mutate returns v2Example with one member replaced (or removed when val is "").
func mutate(t *testing.T, base, member, val string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatal(err)
	}
	if val == "" {
		delete(m, member)
	} else {
		m[member] = json.RawMessage(val)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCredentialRejects(t *testing.T) {
	cases := []struct {
		name, base, member, val string
		want                    error
		reason                  string
	}{
		{"no context", v2Example, "@context", "", ErrMalformed, "@context is required"},
		{"unknown base context", v2Example, "@context", `["https://example.org/ctx"]`, ErrUnsupportedVersion, "must start with"},
		{"context number", v2Example, "@context", `["https://www.w3.org/ns/credentials/v2", 5]`, ErrMalformed, "@context[1]"},
		{"context not url", v2Example, "@context", `["https://www.w3.org/ns/credentials/v2", "not a url"]`, ErrMalformed, "not a URL"},
		{"no type", v2Example, "type", "", ErrMalformed, "type is required"},
		{"type without base", v2Example, "type", `["BusinessRegistration"]`, ErrMalformed, "must include VerifiableCredential"},
		{"type number", v2Example, "type", `[1]`, ErrMalformed, "type must be"},
		{"type empty string", v2Example, "type", `["VerifiableCredential", ""]`, ErrMalformed, "type[1] is empty"},
		{"id not url", v2Example, "id", `"abc"`, ErrMalformed, "id \"abc\" is not a URL"},
		{"id number", v2Example, "id", `7`, ErrMalformed, "id must be a string"},
		{"no issuer", v2Example, "issuer", "", ErrMalformed, "issuer is required"},
		{"issuer not url", v2Example, "issuer", `"acra"`, ErrMalformed, "not a URL"},
		{"issuer object no id", v2Example, "issuer", `{"name": "x"}`, ErrMalformed, "issuer is required"},
		{"issuer number", v2Example, "issuer", `5`, ErrMalformed, "issuer"},
		{"issuer bad name", v2Example, "issuer", `{"id": "did:web:x", "name": 5}`, ErrMalformed, "issuer.name"},
		{"validFrom no zone", v2Example, "validFrom", `"2026-01-01T00:00:00"`, ErrMalformed, "validFrom"},
		{"validFrom number", v2Example, "validFrom", `5`, ErrMalformed, "validFrom must be a string"},
		{"validUntil garbage", v2Example, "validUntil", `"tomorrow"`, ErrMalformed, "validUntil"},
		{"v1 no issuanceDate", v1Example, "issuanceDate", "", ErrMalformed, "issuanceDate is required"},
		{"no subject", v2Example, "credentialSubject", "", ErrMalformed, "credentialSubject is required"},
		{"empty subject", v2Example, "credentialSubject", `{}`, ErrMalformed, "credentialSubject[0] is empty"},
		{"subject string", v2Example, "credentialSubject", `"x"`, ErrMalformed, "credentialSubject must be"},
		{"subject null item", v2Example, "credentialSubject", `[null]`, ErrMalformed, "credentialSubject[0] must be an object"},
		{"subject id not url", v2Example, "credentialSubject", `{"id": "me"}`, ErrMalformed, "credentialSubject[0].id"},
		{"status no type", v2Example, "credentialStatus", `{"id": "https://x.example/1"}`, ErrMalformed, "credentialStatus[0].type is required"},
		{"status id not url", v2Example, "credentialStatus", `{"id": "x", "type": "T"}`, ErrMalformed, "credentialStatus[0].id"},
		{"status type number", v2Example, "credentialStatus", `{"type": 5}`, ErrMalformed, "credentialStatus[0].type"},
		{"schema no id", v2Example, "credentialSchema", `{"type": "JsonSchema"}`, ErrMalformed, "credentialSchema[0].id is required"},
		{"schema no type", v2Example, "credentialSchema", `{"id": "https://x.example/s"}`, ErrMalformed, "credentialSchema[0].type is required"},
		{"evidence no type", v2Example, "evidence", `[{"id": "https://x.example/e"}]`, ErrMalformed, "evidence[0].type"},
		{"termsOfUse no type", v2Example, "termsOfUse", `{"x": 1}`, ErrMalformed, "termsOfUse[0].type"},
		{"refreshService no type", v2Example, "refreshService", `{"id": "https://x.example/r"}`, ErrMalformed, "refreshService[0].type"},
		{"relatedResource no id", v2Example, "relatedResource", `[{"digestSRI": "sha384-x"}]`, ErrMalformed, "relatedResource[0].id"},
		{"relatedResource no digest", v2Example, "relatedResource", `[{"id": "https://x.example/a"}]`, ErrMalformed, "needs digestSRI or digestMultibase"},
		{"relatedResource duplicate id", v2Example, "relatedResource", `[{"id": "https://x.example/a", "digestSRI": "sha384-x"}, {"id": "https://x.example/a", "digestMultibase": "uEi"}]`, ErrMalformed, "not unique"},
		{"relatedResource empty digest", v2Example, "relatedResource", `{"id": "https://x.example/a", "digestSRI": "sha384-x", "digestMultibase": ""}`, ErrMalformed, "digestMultibase must be"},
		{"id null", v2Example, "id", `null`, ErrMalformed, "id must be a string"},
		{"issuer null", v2Example, "issuer", `null`, ErrMalformed, "issuer"},
		{"issuer id null", v2Example, "issuer", `{"id": null, "name": "x"}`, ErrMalformed, "issuer.id must be a string"},
		{"name number", v2Example, "name", `5`, ErrMalformed, "name must be"},
		{"description bad object", v2Example, "description", `{"lang": "en"}`, ErrMalformed, "description must be"},
		{"proof string", v2Example, "proof", `"sig"`, ErrMalformed, "proof must be"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCredential(mutate(t, tc.base, tc.member, tc.val))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.reason)
			}
		})
	}
}

func TestParseCredentialRejectsInput(t *testing.T) {
	cases := map[string][]byte{
		"not json":   []byte("{"),
		"array":      []byte("[]"),
		"empty":      nil,
		"null":       []byte("null"),
		"deep":       []byte(`{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`),
		"trailing":   []byte(v2Example + "x"),
		"too large":  []byte(`{"x":"` + strings.Repeat("a", MaxDocumentBytes) + `"}`),
		"bad string": []byte(`{"id":"\u12"}`),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCredential(in)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err %v wraps no sentinel", err)
			}
		})
	}
}

func TestPresentation(t *testing.T) {
	in := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation",
	"holder":{"id":"did:example:h","x":1},"verifiableCredential":[` + v2Example + `,"eyJhbGciOi.x.y"],"nonce":"n"}`
	p, err := ParsePresentation([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if p.Holder != "did:example:h" || len(p.Credentials) != 2 || p.Version() != 2 {
		t.Fatalf("%+v", p)
	}
	if _, err := ParseCredential(p.Credentials[0]); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	_ = json.Unmarshal([]byte(in), &a)
	_ = json.Unmarshal(out, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip differs:\n%s", out)
	}
	bad := map[string]string{
		"no base type":     `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"X"}`,
		"holder not url":   `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation","holder":"h"}`,
		"credential num":   `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation","verifiableCredential":[1]}`,
		"holder number":    `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation","holder":1}`,
		"no context":       `{"type":"VerifiablePresentation"}`,
		"proof not object": `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation","proof":1}`,
	}
	for name, in := range bad {
		if _, err := ParsePresentation([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestEnveloped(t *testing.T) {
	tok := "eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.c2ln"
	b := Envelope(MediaTypeVCJWT, tok)
	if !IsEnveloped(b) {
		t.Fatal("IsEnveloped false")
	}
	e, err := ParseEnveloped(b)
	if err != nil {
		t.Fatal(err)
	}
	if e.Data != tok || e.MediaType != MediaTypeVCJWT || e.Format() != FormatVCJOSE || e.Presentation {
		t.Fatalf("%+v", e)
	}
	e, err = ParseEnveloped(EnvelopePresentation(MediaTypeSDJWT, "a.b.c~d~"))
	if err != nil || !e.Presentation || e.Format() != FormatSDJWT || e.Data != "a.b.c~d~" {
		t.Fatalf("%+v %v", e, err)
	}
	bad := map[string]struct {
		in   string
		want error
	}{
		"not enveloped": {v2Example, ErrNotEnveloped},
		"v1 context":    {`{"@context":["https://www.w3.org/2018/credentials/v1"],"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,a"}`, ErrMalformed},
		"http id":       {`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential","id":"https://x"}`, ErrMalformed},
		"no comma":      {`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt"}`, ErrMalformed},
		"base64":        {`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt;base64,YQ=="}`, ErrMalformed},
		"no data":       {`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,"}`, ErrMalformed},
		"no media type": {`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential","id":"data:,abc"}`, ErrMalformed},
		"bad json":      {`{`, ErrMalformed},
	}
	for name, tc := range bad {
		if _, err := ParseEnveloped([]byte(tc.in)); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
	mt, data, err := ParseDataURL("data:Application/VC+JWT;charset=utf-8,a%2Eb")
	if err != nil || mt != "application/vc+jwt" || data != "a.b" {
		t.Fatalf("%q %q %v", mt, data, err)
	}
}

func FuzzParseCredential(f *testing.F) {
	f.Add([]byte(v2Example))
	f.Add([]byte(v1Example))
	f.Add(Envelope(MediaTypeVCJWT, "a.b.c"))
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/credentials/v2","type":"VerifiableCredential","issuer":{"id":"did:x:y"},"credentialSubject":{"a":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCredential(b)
		if err != nil {
			if !errorsIsAny(err) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal of a valid credential: %v", err)
		}
		c2, err := ParseCredential(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		out2, err := json.Marshal(c2)
		if err != nil || string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}

func FuzzParsePresentation(f *testing.F) {
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation","verifiableCredential":"a.b.c"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePresentation(b)
		if err != nil {
			if !errorsIsAny(err) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{
		"did:web:example.com": true, "https://x.example/a?b#c": true, "urn:uuid:1234": true,
		"data:application/vc+jwt,a.b.c": true, "a+b-c.d:x": true,
		"": false, "abc": false, ":x": false, "1http://x": false, "http:": false,
		"http://x y": false, "ht tp://x": false, "http://x\n": false, "did:\x7f": false,
	} {
		if got := IsURL(s); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", s, got, want)
		}
	}
}
