package vcjwt

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

func TestVPJWT(t *testing.T) {
	iss, holder := mustKey(t, keys.EdDSA), mustKey(t, keys.ES256)
	const holderDID = "did:web:acme.example.sg"
	cred, err := SignVCJOSE(iss, sampleCredential(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, version := range []int{1, 2} {
		t.Run("v"+itoa(int64(version)), func(t *testing.T) {
			tok, err := SignVPJWT(holder, VPParams{Version: version, Holder: holderDID, Credentials: []string{cred},
				Nonce: "n1", Audience: "did:web:verifier.example", Expiry: now.Add(5 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParseVPJWT(tok)
			if err != nil {
				t.Fatal(err)
			}
			if p.Version != version || p.Holder != holderDID || p.Kid != holderDID+"#"+holder.ID || len(p.Credentials) != 1 {
				t.Fatalf("%+v", p)
			}
			c, err := ParseCredential(p.Credentials[0])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Verify(iss.Public); err != nil {
				t.Fatal(err)
			}
			if err := p.Verify(holder.Public, "n1", "did:web:verifier.example", now, time.Minute); err != nil {
				t.Fatal(err)
			}
			if pe, err := ParseVPJWT(string(vc.EnvelopePresentation(vc.MediaTypeVPJWT, tok))); err != nil || pe.Holder != holderDID {
				t.Fatalf("enveloped presentation: %v", err)
			}
			if _, err := ParseVPJWT(string(vc.Envelope(vc.MediaTypeVCJWT, cred))); !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("enveloped credential as a presentation: %v", err)
			}
			for name, tc := range map[string]struct {
				pub        any
				nonce, aud string
				at         time.Time
				want       error
			}{
				"wrong nonce":    {holder.Public, "n2", "did:web:verifier.example", now, ErrChallenge},
				"wrong audience": {holder.Public, "n1", "did:web:other.example", now, ErrChallenge},
				"expired":        {holder.Public, "n1", "did:web:verifier.example", now.Add(time.Hour), ErrExpired},
				"from the past":  {holder.Public, "n1", "did:web:verifier.example", now.Add(-time.Hour), ErrNotYetValid},
				"other key":      {mustKey(t, keys.ES256).Public, "n1", "did:web:verifier.example", now, ErrSignatureInvalid},
				"no nonce asked": {holder.Public, "", "did:web:verifier.example", now, ErrChallenge},
				"no aud asked":   {holder.Public, "n1", "", now, ErrChallenge},
			} {
				if err := p.Verify(tc.pub, tc.nonce, tc.aud, tc.at, time.Minute); !errors.Is(err, tc.want) {
					t.Errorf("%s: err = %v, want %v", name, err, tc.want)
				}
			}
		})
	}
	if _, err := SignVPJWT(holder, VPParams{Version: 3, Holder: "did:x:y", Nonce: "n", Audience: "a"}); !errors.Is(err, ErrUnsupportedFormat) {
		t.Fatalf("version 3: %v", err)
	}
	if _, err := SignVPJWT(holder, VPParams{Version: 1, Holder: "did:x:y"}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("no nonce: %v", err)
	}
}

func TestParseVPJWTRejects(t *testing.T) {
	k := mustKey(t, keys.EdDSA)
	vp1 := `{"iss":"did:web:h","nonce":"n","aud":"a","vp":{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiablePresentation"],"verifiableCredential":["a.b.c"]}}`
	cases := map[string]struct {
		hdr, payload string
		want         error
	}{
		"no vp claim":         {`{"alg":"EdDSA","typ":"JWT"}`, `{"iss":"did:web:h"}`, ErrUnsupportedFormat},
		"wrong typ":           {`{"alg":"EdDSA","typ":"vc+jwt"}`, vp1, ErrUnsupportedFormat},
		"no base type":        {`{"alg":"EdDSA"}`, strings.Replace(vp1, `"VerifiablePresentation"`, `"X"`, 1), ErrMalformed},
		"bad context":         {`{"alg":"EdDSA"}`, strings.Replace(vp1, vc.ContextV1, "https://x.example", 1), ErrMalformed},
		"no holder":           {`{"alg":"EdDSA"}`, strings.Replace(vp1, `"iss":"did:web:h",`, "", 1), ErrMalformed},
		"holder differs":      {`{"alg":"EdDSA"}`, strings.Replace(vp1, `"type"`, `"holder":"did:web:z","type"`, 1), ErrMalformed},
		"credential a number": {`{"alg":"EdDSA"}`, strings.Replace(vp1, `["a.b.c"]`, `[5]`, 1), ErrMalformed},
		"kid of another DID":  {`{"alg":"EdDSA","kid":"did:web:z#1"}`, vp1, ErrKeyMismatch},
		"alg none":            {`{"alg":"none"}`, vp1, ErrAlgNotAllowed},
		"embedded jwk":        {`{"alg":"EdDSA","jwk":{}}`, vp1, ErrHeaderNotAllowed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseVPJWT(forge(t, tc.hdr, tc.payload, k)); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
