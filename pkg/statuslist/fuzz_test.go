package statuslist

import (
	"encoding/base64"
	"testing"
)

func FuzzDecodeBitstring(f *testing.F) {
	f.Add(specEmptyList)
	f.Add("u" + base64.RawURLEncoding.EncodeToString(gz(f, make([]byte, 4))))
	f.Add("uH4sIAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeBitstring(s)
		if err != nil {
			return
		}
		if b.Len() < MinEntries || b.Len() > MaxListBytes*8 {
			t.Fatalf("decoded %d entries", b.Len())
		}
		enc, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBitstring(enc)
		if err != nil || string(again.bits) != string(b.bits) {
			t.Fatalf("re-encode round trip: %v", err)
		}
	})
}

func FuzzDecodeTokenList(f *testing.F) {
	f.Add(1, "eNrbuRgAAhcBXQ")
	f.Add(2, "eNo76fITAAPfAgc")
	f.Add(8, base64.RawURLEncoding.EncodeToString(zl(f, []byte{1, 2, 3})))
	f.Fuzz(func(t *testing.T, bits int, s string) {
		l, err := DecodeTokenList(bits, s)
		if err != nil {
			return
		}
		if len(l.lst) > MaxListBytes {
			t.Fatalf("decoded %d bytes", len(l.lst))
		}
		for _, i := range []int{0, l.Len() - 1} {
			v, err := l.Get(i)
			if err != nil || (bits < 8 && v >= 1<<bits) {
				t.Fatalf("Get(%d) = %d %v", i, v, err)
			}
		}
	})
}

func FuzzParseBitstringCredential(f *testing.F) {
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"https://example.com/status/3","type":["VerifiableCredential","BitstringStatusListCredential"],"issuer":"did:example:12345","validFrom":"2021-04-05T14:27:40Z","credentialSubject":{"id":"https://example.com/status/3#list","type":"BitstringStatusList","statusPurpose":"revocation","encodedList":"` + specEmptyList + `"}}`))
	f.Add([]byte(`{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential","StatusList2021Credential"],"issuer":"did:example:1","issuanceDate":"2021-04-05T14:27:40Z","credentialSubject":{"type":"StatusList2021","statusPurpose":["revocation","suspension"],"ttl":1000,"encodedList":"u"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		lc, err := ParseBitstringCredential(b)
		if err != nil {
			return
		}
		if lc.List == nil || len(lc.Purposes) == 0 || lc.Issuer == "" {
			t.Fatalf("accepted incomplete list credential %+v", lc)
		}
	})
}

func FuzzParseTokenClaims(f *testing.F) {
	f.Add([]byte(`{"sub":"https://example.com/statuslists/1","iat":1686920170,"exp":2291720170,"ttl":43200,"status_list":{"bits":1,"lst":"eNrbuRgAAhcBXQ"}}`))
	f.Add([]byte(`{"sub":"x","iat":-1,"status_list":{"bits":3,"lst":""}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseTokenClaims(b)
		if err != nil {
			return
		}
		if c.Subject == "" || c.List == nil || c.TTL < 0 {
			t.Fatalf("accepted %+v", c)
		}
	})
}
