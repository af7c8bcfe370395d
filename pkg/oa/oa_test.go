package oa

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func wrapSigned(t testing.TB) []byte {
	t.Helper()
	d, err := Wrap(invoiceData("merlion.example.sg", KeyDID(testKey().PubKey())))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sign(testKey(), time.Now()); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustParse(t testing.TB, raw []byte) *Document {
	t.Helper()
	d, err := Parse(raw, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestWrapSignVerify(t *testing.T) {
	d := mustParse(t, wrapSigned(t))
	if err := d.CheckIntegrity(); err != nil {
		t.Fatal(err)
	}
	if len(d.Proofs) != 1 {
		t.Fatalf("proofs %v", d.Proofs)
	}
	if err := d.VerifyProof(d.Proofs[0]); err != nil {
		t.Fatal(err)
	}
	f, err := d.Fields()
	if err != nil {
		t.Fatal(err)
	}
	if f["billFrom.name"] != "Merlion Trading Pte. Ltd." || f["items.0.quantity"] != 3.0 || f["paid"] != false || f["items.1.description"] != "Cables" {
		t.Fatalf("fields %v", f)
	}
	if v, ok := f["extra"]; !ok || v != nil {
		t.Fatalf("null field: %v %v", v, ok)
	}
	is, err := d.Issuers()
	if err != nil || len(is) != 1 || is[0].Location != "merlion.example.sg" || is[0].IdentityType != IdentityDNSDID || is[0].Anchored() {
		t.Fatalf("issuers %+v %v", is, err)
	}
	if d.Template() != "INVOICE" {
		t.Fatal(d.Template())
	}
}

func TestObfuscateKeepsIntegrity(t *testing.T) {
	d := mustParse(t, wrapSigned(t))
	if err := d.Obfuscate("billTo.note", "items"); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(d)
	d2 := mustParse(t, raw)
	if err := d2.CheckIntegrity(); err != nil {
		t.Fatal(err)
	}
	if err := d2.VerifyProof(d2.Proofs[0]); err != nil {
		t.Fatal(err)
	}
	f, _ := d2.Fields()
	if _, ok := f["billTo.note"]; ok {
		t.Fatal("obfuscated field visible")
	}
	if len(d2.Obfuscated) != 7 { // note + 2 items x 3 fields
		t.Fatalf("obfuscated %d", len(d2.Obfuscated))
	}
}

func TestTampering(t *testing.T) {
	raw := wrapSigned(t)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	data := m["data"].(map[string]any)
	bf := data["billFrom"].(map[string]any)
	salt := bf["name"].(string)[:36]

	cases := map[string]struct {
		edit func(m map[string]any)
		code error
	}{
		"changed field": {func(m map[string]any) {
			m["data"].(map[string]any)["billFrom"].(map[string]any)["name"] = salt + ":string:Mallory Pte. Ltd."
		}, ErrTargetHashMismatch},
		"added field": {func(m map[string]any) {
			m["data"].(map[string]any)["bonus"] = salt + ":string:1"
		}, ErrTargetHashMismatch},
		"forged obfuscation": {func(m map[string]any) {
			m["privacy"] = map[string]any{"obfuscatedData": []any{strings.Repeat("ab", 32)}}
		}, ErrTargetHashMismatch},
		"wrong merkle proof": {func(m map[string]any) {
			m["signature"].(map[string]any)["proof"] = []any{strings.Repeat("cd", 32)}
		}, ErrMerkleRootMismatch},
		"other root": {func(m map[string]any) {
			m["signature"].(map[string]any)["merkleRoot"] = strings.Repeat("ef", 32)
		}, ErrMerkleRootMismatch},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var cp map[string]any
			_ = json.Unmarshal(raw, &cp)
			c.edit(cp)
			b, _ := json.Marshal(cp)
			d, err := Parse(b, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.CheckIntegrity(); !errors.Is(err, c.code) {
				t.Fatalf("got %v, want %v", err, c.code)
			}
		})
	}
}

func TestSignatureByAnotherKey(t *testing.T) {
	d, _ := Wrap(invoiceData("merlion.example.sg", KeyDID(testKey().PubKey())))
	_ = d.Sign(otherKey(), time.Now())
	d.Proofs[0].VerificationMethod = KeyDID(testKey().PubKey())
	if err := d.VerifyProof(d.Proofs[0]); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("got %v", err)
	}
	d.Proofs[0].VerificationMethod = "did:web:merlion.example.sg#key-1"
	if err := d.VerifyProof(d.Proofs[0]); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("got %v", err)
	}
}

func TestParseLimits(t *testing.T) {
	raw := wrapSigned(t)
	if _, err := Parse(raw, Limits{MaxBytes: len(raw) - 1}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("size: %v", err)
	}
	deep := strings.Repeat(`{"a":`, 100) + `"x"` + strings.Repeat("}", 100)
	doc := strings.Replace(string(raw), `"data":{`, `"data":{"deep":`+deep+`,`, 1)
	if _, err := Parse([]byte(doc), Limits{}); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("depth: %v", err)
	}
	dup := strings.Replace(string(raw), `"data":{`, `"data":{"id":"x","id":"y",`, 1)
	if _, err := Parse([]byte(dup), Limits{}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("dup: %v", err)
	}
	if _, err := Parse(raw, Limits{MaxFields: 5}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("fields: %v", err)
	}
	unsalted := strings.Replace(string(raw), `"data":{`, `"data":{"n":5,`, 1)
	if _, err := Parse([]byte(unsalted), Limits{}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unsalted: %v", err)
	}
	for _, bad := range []string{`[]`, `{"version":"x"}`, `null`, `{}`, string(raw) + `{}`} {
		if _, err := Parse([]byte(bad), Limits{}); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: %v", bad, err)
		}
	}
}

func TestAnchoredIssuers(t *testing.T) {
	data := invoiceData("merlion.example.sg", "")
	data["issuers"] = []any{map[string]any{"name": "x", "documentStore": "0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d",
		"identityProof": map[string]any{"type": "DNS-TXT", "location": "merlion.example.sg"}}}
	d, _ := Wrap(data)
	is, _ := d.Issuers()
	if !is[0].Anchored() {
		t.Fatal("document store not anchored")
	}
}

func TestDNSDIDKey(t *testing.T) {
	k, ok := DNSDIDKey("openatts a=dns-did; p=did:ethr:0xE712878f6E8d5d4F9e87E10DA604F9cB564C9a89#controller; v=1.0;")
	if !ok || k != "did:ethr:0xE712878f6E8d5d4F9e87E10DA604F9cB564C9a89#controller" {
		t.Fatal(k, ok)
	}
	for _, bad := range []string{"v=spf1 -all", "openatts net=ethereum netId=3 addr=0x1", "openatts a=dns-did; v=1.0;", "openatts a=dns-did; p=did:x; v=2.0;"} {
		if _, ok := DNSDIDKey(bad); ok {
			t.Fatal(bad)
		}
	}
	if NormaliseDomain("Merlion.Example.SG.") != "merlion.example.sg" || NormaliseDomain("no_dots") != "" || NormaliseDomain("a..b") != "" {
		t.Fatal("normalise")
	}
}

func TestJSString(t *testing.T) {
	got := string(appendJSString(nil, "a\"b\\c\n\x01<>&\u2028é"))
	want := `"a\"b\\c\n\u0001<>&` + "\u2028é" + `"`
	if got != want {
		t.Fatalf("%s != %s", got, want)
	}
}
