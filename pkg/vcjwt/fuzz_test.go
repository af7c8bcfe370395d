package vcjwt

import (
	"errors"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
)

// sentinels lists every error class of this package, for the fuzz targets.
var sentinels = []error{ErrMalformed, ErrTooLarge, ErrAlgNotAllowed, ErrHeaderNotAllowed, ErrUnsupportedFormat,
	ErrSignatureInvalid, ErrKeyMismatch, ErrDisclosure, ErrHolderBinding, ErrChallenge, ErrExpired, ErrNotYetValid}

func classified(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func FuzzParse(f *testing.F) {
	k := mustKey(f, keys.EdDSA)
	ec := mustKey(f, keys.ES256)
	for _, kk := range []*keys.Key{k, ec} {
		tok, err := SignVCJOSE(kk, sampleCredential(f, 2))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		tok, _ = SignVC11(kk, sampleCredential(f, 1))
		f.Add(tok)
	}
	f.Add(forge(f, `{"alg":"none"}`, `{}`, nil))
	f.Add(forge(f, `{"alg":"EdDSA","jwk":{}}`, `{}`, k))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseCredential(s)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		// A fuzzed token must never verify with a key that did not sign it.
		if _, err := p.Verify(mustKey(t, p.Token.Alg).Public); err == nil {
			t.Fatal("verified with a fresh key")
		}
	})
}

func FuzzParseSDJWT(f *testing.F) {
	k, holder := mustKey(f, keys.EdDSA), mustKey(f, keys.EdDSA)
	sd, err := SignSDJWT(k, sdParams(9, holder))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sd)
	kb, err := SignKeyBinding(holder, sd, "n", "a", fixedNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(kb)
	d := disc(`["s1","HK"]`)
	f.Add(forge(f, `{"alg":"EdDSA","typ":"dc+sd-jwt"}`, `{"iss":"x","vct":"v","a":[{"...":"`+sdDigest(d)+`"}]}`, k) + "~" + d + "~")
	f.Add("x~~~")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseCredential(s)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if p.SD == nil {
			return
		}
		if err := p.SD.VerifyKeyBinding(mustKey(t, keys.EdDSA).Public, "n", "a", fixedNow, 0); err == nil {
			t.Fatal("key binding verified with a fresh key")
		}
	})
}

func FuzzParseVPJWT(f *testing.F) {
	holder := mustKey(f, keys.EdDSA)
	cred, err := SignVCJOSE(holder, sampleCredential(f, 2))
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range []int{1, 2} {
		tok, err := SignVPJWT(holder, VPParams{Version: v, Holder: "did:web:h.example", Credentials: []string{cred}, Nonce: "n", Audience: "a"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseVPJWT(s)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if p.Holder == "" {
			t.Fatal("presentation without holder accepted")
		}
		if err := p.Verify(mustKey(t, p.Token.Alg).Public, p.Nonce, "a", fixedNow, time.Hour); err == nil {
			t.Fatal("verified with a fresh key")
		}
	})
}
