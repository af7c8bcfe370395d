package vcjwt

import (
	"fmt"
	"sync"
	"testing"

	"github.com/idport/idport/pkg/keys"
)

// TestSignedHeadersAreTheirOwn: signing concurrently with more keys, kids
// and media types than the encoded-header cache holds, every token carries
// the header of its own signing (alg, kid, typ, cty) and verifies with its
// own key only: a cached header is never another signing's.
func TestSignedHeadersAreTheirOwn(t *testing.T) {
	ks := []*keys.Key{mustKey(t, keys.EdDSA), mustKey(t, keys.ES256)}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3 * maxCachedHeaders {
				k := ks[(g+i)%len(ks)]
				want := Header{Alg: k.Alg, Kid: fmt.Sprintf("did:web:issuer.example#key-%d", i%(2*maxCachedHeaders)), Typ: []string{"vc+jwt", "JWT", "dc+sd-jwt"}[i%3]}
				if i%2 == 0 {
					want.Cty = "vc"
				}
				tok, err := signJWS(k, want.Typ, want.Cty, want.Kid, []byte(`{"i":1}`))
				if err != nil {
					t.Error(err)
					return
				}
				p, err := Parse(tok)
				if err != nil || p.Header != want {
					t.Errorf("signing %+v: header %+v, %v", want, p, err)
					return
				}
				if err := p.Verify(k.Public); err != nil {
					t.Errorf("signing %+v: %v", want, err)
					return
				}
				if err := p.Verify(ks[(g+i+1)%len(ks)].Public); err == nil {
					t.Errorf("signing %+v: verifies with the other key", want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
