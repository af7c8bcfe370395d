package vcjwt

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

func TestSDJWTRoundTrip(t *testing.T) {
	for _, alg := range keys.Allowed {
		t.Run(string(alg), func(t *testing.T) {
			iss, holder := mustKey(t, alg), mustKey(t, alg)
			p := sdParams(9, holder)
			p.Decoys = 3
			p.Disclose = append(p.Disclose, "address")
			sd, err := SignSDJWT(iss, p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(sd, "~") || strings.Count(sd, "~") != 11 {
				t.Fatalf("want 10 disclosures: %s", sd)
			}
			pl := payloadOf(t, strings.Split(sd, "~")[0])
			if pl["_sd_alg"] != "sha-256" || pl["given_name"] != nil || pl["address"] != nil || pl["cnf"] == nil {
				t.Fatalf("payload %v", pl)
			}
			if n := len(pl["_sd"].([]any)); n != 9+3 { // 8 top-level claims + address + 3 decoys
				t.Fatalf("%d top-level digests", n)
			}
			parsed, err := ParseCredential(sd)
			if err != nil {
				t.Fatal(err)
			}
			if parsed.Format != vc.FormatSDJWT || parsed.SD.KBJWT != "" {
				t.Fatalf("format %s", parsed.Format)
			}
			v, err := parsed.Verify(iss.Public)
			if err != nil {
				t.Fatal(err)
			}
			addr, _ := v.Claims["address"].(map[string]any)
			if v.Claims["given_name"] != "Wing" || v.Claims["resident"] != true || addr["locality"] != "Hong Kong" || addr["street_address"] == nil {
				t.Fatalf("claims %v", v.Claims)
			}
			for _, reserved := range []string{"iss", "vct", "cnf", "_sd", "_sd_alg", "status", "exp", "iat"} {
				if _, ok := v.Claims[reserved]; ok {
					t.Fatalf("registered claim %s among the claims", reserved)
				}
			}
			if _, ok := addr["_sd"]; ok {
				t.Fatal("_sd left in a nested object")
			}
			got := slices.Clone(v.Disclosed)
			sort.Strings(got)
			want := []string{"address", "address.locality", "birthdate", "document_number", "email", "family_name", "given_name", "nationality", "phone_number", "resident"}
			if !slices.Equal(got, want) {
				t.Fatalf("disclosed %v", got)
			}
			if v.VCT != p.VCT || v.Issuer != p.Issuer || v.Expiry.Unix() != p.Expiry.Unix() || v.IssuedAt.IsZero() {
				t.Fatalf("%+v", v)
			}
			if len(v.Status) != 1 || v.Status[0].Index != 42 || v.Status[0].Type != TypeTokenStatusList || v.Status[0].URI != p.Status.URI {
				t.Fatalf("status %+v", v.Status)
			}
			if tp1, _ := keys.Thumbprint(v.HolderKey); tp1 != holder.ID {
				t.Fatal("holder key lost")
			}

			// The holder presents two claims with key binding.
			pres, err := Present(sd, []string{"given_name", "address.locality"})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			kb, err := SignKeyBinding(holder, pres, "n-123", "https://verifier.example", now)
			if err != nil {
				t.Fatal(err)
			}
			pp, err := ParseCredential(kb)
			if err != nil {
				t.Fatal(err)
			}
			pv, err := pp.Verify(iss.Public)
			if err != nil {
				t.Fatal(err)
			}
			got = slices.Clone(pv.Disclosed)
			sort.Strings(got)
			if !slices.Equal(got, []string{"address", "address.locality", "given_name"}) {
				t.Fatalf("presented %v", got)
			}
			if pv.Claims["family_name"] != nil || pv.Claims["address"].(map[string]any)["street_address"] == nil {
				t.Fatalf("claims %v", pv.Claims)
			}
			if err := pp.SD.VerifyKeyBinding(pv.HolderKey, "n-123", "https://verifier.example", now, time.Minute); err != nil {
				t.Fatal(err)
			}
			kbCases := []struct {
				name         string
				pub          any
				nonce, aud   string
				at           time.Time
				want         error
				presentation string
			}{
				{"wrong nonce", pv.HolderKey, "other", "https://verifier.example", now, ErrChallenge, kb},
				{"wrong aud", pv.HolderKey, "n-123", "https://evil.example", now, ErrChallenge, kb},
				{"stale iat", pv.HolderKey, "n-123", "https://verifier.example", now.Add(time.Hour), ErrHolderBinding, kb},
				{"future iat", pv.HolderKey, "n-123", "https://verifier.example", now.Add(-time.Hour), ErrHolderBinding, kb},
				{"other holder key", iss.Public, "n-123", "https://verifier.example", now, ErrHolderBinding, kb},
				{"no holder key", nil, "n-123", "https://verifier.example", now, ErrHolderBinding, kb},
				{"no nonce expected", pv.HolderKey, "", "https://verifier.example", now, ErrChallenge, kb},
				{"no KB-JWT", pv.HolderKey, "n-123", "https://verifier.example", now, ErrHolderBinding, pres},
				// A disclosure removed after binding changes sd_hash.
				{"disclosure dropped after binding", pv.HolderKey, "n-123", "https://verifier.example", now, ErrHolderBinding,
					dropDisclosure(t, kb)},
			}
			for _, tc := range kbCases {
				t.Run(tc.name, func(t *testing.T) {
					p2, err := ParseCredential(tc.presentation)
					if err != nil {
						t.Fatal(err)
					}
					if err := p2.SD.VerifyKeyBinding(tc.pub, tc.nonce, tc.aud, tc.at, time.Minute); !errors.Is(err, tc.want) {
						t.Fatalf("err = %v, want %v", err, tc.want)
					}
				})
			}
		})
	}
}

// dropDisclosure removes the last disclosure of a presentation with KB-JWT.
func dropDisclosure(t *testing.T, s string) string {
	t.Helper()
	parts := strings.Split(s, "~")
	return strings.Join(append(parts[:len(parts)-2:len(parts)-2], parts[len(parts)-1]), "~")
}

func TestSignSDJWTRejects(t *testing.T) {
	k := mustKey(t, keys.EdDSA)
	cases := map[string]func(p *SDJWTParams){
		"no vct":               func(p *SDJWTParams) { p.VCT = "" },
		"no iss":               func(p *SDJWTParams) { p.Issuer = "" },
		"reserved claim":       func(p *SDJWTParams) { p.Claims["iss"] = "x" },
		"disclose missing":     func(p *SDJWTParams) { p.Disclose = []string{"nope"} },
		"disclose reserved":    func(p *SDJWTParams) { p.Disclose = []string{"vct"} },
		"disclose empty path":  func(p *SDJWTParams) { p.Disclose = []string{"address."} },
		"nested in non-object": func(p *SDJWTParams) { p.Disclose = []string{"email.x"} },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			p := sdParams(2, nil)
			mod(&p)
			if _, err := SignSDJWT(k, p); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// sdForge signs an SD-JWT payload (JSON) with the given disclosures.
func sdForge(t *testing.T, k *keys.Key, typ, payload string, disclosures ...string) string {
	t.Helper()
	return forge(t, `{"alg":"EdDSA","typ":"`+typ+`"}`, payload, k) + "~" + strings.Join(disclosures, "~") + func() string {
		if len(disclosures) > 0 {
			return "~"
		}
		return ""
	}()
}

// disc encodes a disclosure from its JSON array.
func disc(arr string) string { return b64.EncodeToString([]byte(arr)) }

func TestSDJWTRejects(t *testing.T) {
	k := mustKey(t, keys.EdDSA)
	d1 := disc(`["salt1","given_name","Wing"]`)
	d2 := disc(`["salt2","family_name","Chan"]`)
	dArr := disc(`["salt3","HK"]`)
	dIss := disc(`["salt4","status",{"status_list":{"idx":1,"uri":"https://x"}}]`)
	base := func(digests ...string) string {
		return `{"iss":"did:web:x","vct":"v","_sd_alg":"sha-256","_sd":` + mustJSON(t, digests) + `}`
	}
	many := make([]string, MaxDisclosures+1)
	for i := range many {
		many[i] = disc(`["s` + itoa(int64(i)) + `","c` + itoa(int64(i)) + `",1]`)
	}
	cases := []rejection{
		{"unreferenced disclosure", sdForge(t, k, TypSDJWT, base(sdDigest(d1)), d1, d2), ErrDisclosure},
		{"repeated disclosure", sdForge(t, k, TypSDJWT, base(sdDigest(d1)), d1, d1), ErrDisclosure},
		{"digest twice in _sd", sdForge(t, k, TypSDJWT, base(sdDigest(d1), sdDigest(d1)), d1), ErrDisclosure},
		{"plain and disclosed", sdForge(t, k, TypSDJWT, `{"iss":"did:web:x","vct":"v","given_name":"X","_sd":["`+sdDigest(d1)+`"]}`, d1), ErrDisclosure},
		{"array disclosure in _sd", sdForge(t, k, TypSDJWT, base(sdDigest(dArr)), dArr), ErrDisclosure},
		{"object disclosure in array", sdForge(t, k, TypSDJWT, `{"iss":"did:web:x","vct":"v","n":[{"...":"`+sdDigest(d1)+`"}]}`, d1), ErrDisclosure},
		{"registered claim disclosed", sdForge(t, k, TypSDJWT, base(sdDigest(dIss)), dIss), ErrDisclosure},
		{"sha-512", sdForge(t, k, TypSDJWT, strings.Replace(base(sdDigest(d1)), "sha-256", "sha-512", 1), d1), ErrDisclosure},
		{"disclosure not base64", sdForge(t, k, TypSDJWT, base(), "!!"), ErrDisclosure},
		{"disclosure not array", sdForge(t, k, TypSDJWT, base(), disc(`{"a":1}`)), ErrDisclosure},
		{"disclosure 4 elements", sdForge(t, k, TypSDJWT, base(), disc(`["s","n",1,2]`)), ErrDisclosure},
		{"disclosure name _sd", sdForge(t, k, TypSDJWT, base(), disc(`["s","_sd",1]`)), ErrDisclosure},
		{"disclosure name number", sdForge(t, k, TypSDJWT, base(), disc(`["s",5,1]`)), ErrDisclosure},
		{"empty disclosure", forge(t, `{"alg":"EdDSA","typ":"dc+sd-jwt"}`, base(), k) + "~~", ErrDisclosure},
		{"no trailing tilde", strings.TrimSuffix(sdForge(t, k, TypSDJWT, base(sdDigest(d1)), d1), "~"), ErrMalformed},
		{"_sd not array", sdForge(t, k, TypSDJWT, `{"iss":"did:web:x","vct":"v","_sd":"x"}`), ErrMalformed},
		{"no vct", sdForge(t, k, TypSDJWT, `{"iss":"did:web:x"}`), ErrMalformed},
		{"wrong typ", sdForge(t, k, "JWT", base()), ErrUnsupportedFormat},
		{"vc+jwt typ", sdForge(t, k, TypVCJOSE, base()), ErrUnsupportedFormat},
		{"bad cnf", sdForge(t, k, TypSDJWT, `{"iss":"did:web:x","vct":"v","cnf":{"jwk":{"kty":"oct","k":"AAAA"}}}`), ErrMalformed},
		{"bad status", sdForge(t, k, TypSDJWT, `{"iss":"did:web:x","vct":"v","status":{"status_list":{"uri":"https://x"}}}`), ErrMalformed},
		{"too many disclosures", sdForge(t, k, TypSDJWT, base(), many...), ErrTooLarge},
		{"10,000 tildes", sdForge(t, k, TypSDJWT, base()) + strings.Repeat("~", 10000), ErrTooLarge},
		{"2 MB", sdForge(t, k, TypSDJWT, base()) + strings.Repeat("A", 2<<20) + "~", ErrTooLarge},
		{"alg none issuer JWT", forge(t, `{"alg":"none","typ":"dc+sd-jwt"}`, base(), nil) + "~", ErrAlgNotAllowed},
	}
	expectRejected(t, k, cases)
}

// TestSDJWTArrayElements reads array element disclosures and decoys made by hand.
func TestSDJWTArrayElements(t *testing.T) {
	k := mustKey(t, keys.EdDSA)
	dHK, dSG := disc(`["s1","HK"]`), disc(`["s2","SG"]`)
	payload := `{"iss":"did:web:x","vct":"v","_sd_alg":"sha-256","nationalities":["CN",{"...":"` + sdDigest(dHK) + `"},{"...":"` + sdDigest(dSG) + `"},{"...":"` + sdDigest("decoy") + `"}]}`
	p, err := ParseCredential(sdForge(t, k, TypSDJWT, payload, dHK))
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Verify(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v.Claims["nationalities"])
	if string(got) != `["CN","HK"]` || !slices.Equal(v.Disclosed, []string{"nationalities[]"}) {
		t.Fatalf("nationalities %s disclosed %v", got, v.Disclosed)
	}
}

// TestSDJWTClaimPaths: each disclosure's structured path names members by
// name and array elements by their index after disclosure processing.
func TestSDJWTClaimPaths(t *testing.T) {
	k := mustKey(t, keys.EdDSA)
	dHK, dSG := disc(`["s1","HK"]`), disc(`["s2","SG"]`)
	dDotted, dB, dCity := disc(`["s3","a.b",1]`), disc(`["s4","b",2]`), disc(`["s5","city","Kowloon"]`)
	payload := `{"iss":"did:web:x","vct":"v","_sd_alg":"sha-256","_sd":["` + sdDigest(dDotted) + `"],"a":{"_sd":["` + sdDigest(dB) + `"]},` +
		`"nationalities":["CN",{"...":"` + sdDigest(dHK) + `"},{"...":"` + sdDigest(dSG) + `"}],` +
		`"addresses":[{"country":"HK"},{"_sd":["` + sdDigest(dCity) + `"]}]}`
	for _, tc := range []struct {
		show []string
		want []string
	}{
		{[]string{dSG}, []string{"nationalities[1]"}}, // HK withheld: SG moves up
		{[]string{dHK, dSG}, []string{"nationalities[1]", "nationalities[2]"}},
		{[]string{dDotted, dB}, []string{`["a.b"]`, "a.b"}},
		{[]string{dCity}, []string{"addresses[1].city"}},
	} {
		p, err := ParseCredential(sdForge(t, k, TypSDJWT, payload, tc.show...))
		if err != nil {
			t.Fatal(err)
		}
		v, err := p.Verify(k.Public)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, cp := range v.DisclosedPaths {
			got = append(got, cp.String())
		}
		if !slices.Equal(got, tc.want) || len(v.Disclosed) != len(v.DisclosedPaths) {
			t.Errorf("disclosed %v, want %v (dotted %v)", got, tc.want, v.Disclosed)
		}
	}
	p, _ := ParseCredential(sdForge(t, k, TypSDJWT, payload, dDotted, dB, dCity))
	v, _ := p.Verify(k.Public)
	want := []ClaimPath{{"a.b"}, {"a", "b"}, {"addresses", 1, "city"}}
	if !reflect.DeepEqual(v.DisclosedPaths, want) {
		t.Fatalf("paths %#v, want %#v", v.DisclosedPaths, want)
	}
}
