package httpapi_test

import (
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
	"github.com/idport/idport/verifier/profiles"
)

// TestChallengeOnceAcrossProfiles: a challenge is used once, and only on
// the route it was issued for. A presentation bound to it, posted at once
// to the plain route and to two relying parties' profiles (a relay by
// another relying party), is verified exactly once, on its own route;
// every other copy there is challenge_reused, every copy elsewhere
// challenge_wrong_audience, and so are copies posted afterwards. This holds
// for a challenge of the plain route and for one of a profile.
func TestChallengeOnceAcrossProfiles(t *testing.T) {
	is, holder := testutil.NewParty(t, keys.EdDSA), testutil.NewParty(t, keys.EdDSA)
	const bankKey, shopKey = "bank-key-0123456789abcdef", "shop-key-0123456789abcdef"
	set, err := profiles.New(profiles.Config{
		RelyingParties: []profiles.RelyingParty{{Name: "bank", APIKeySHA256: keyHash(bankKey)}, {Name: "shop", APIKeySHA256: keyHash(shopKey)}},
		Profiles:       []profiles.Profile{{Name: "bank-login", RelyingParty: "bank"}, {Name: "shop-login", RelyingParty: "shop"}},
	}, verifier.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	srv := newProfileServer(t, set, verifier.NewStaticTrust(4, is.Authority()))

	cred := is.JOSE(t, testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testutil.Now.Add(-time.Hour)}.JSON())
	type route struct{ prefix, key string }
	routes := []route{{"", ""}, {"/profiles/bank-login", bankKey}, {"/profiles/shop-login", shopKey}}
	for _, home := range routes {
		t.Run("challenge of "+home.prefix+"/challenges", func(t *testing.T) {
			_, ch := postAs(t, srv.URL+home.prefix+"/challenges", home.key, []byte(`{}`))
			nonce := ch["challenge"].(string)
			body := jsonBody(map[string]any{"verifiablePresentation": holder.JWTVP(t, nonce, "https://verifier.example", cred)})
			// want is the refusal of a copy on r once the challenge is used.
			want := func(r route) string {
				if r == home {
					return "challenge_reused"
				}
				return "challenge_wrong_audience"
			}
			var (
				mu       sync.Mutex
				verified []string
				other    []string
				wg       sync.WaitGroup
			)
			for i := range 3 * len(routes) {
				wg.Go(func() {
					r := routes[i%len(routes)]
					status, m := postAs(t, srv.URL+r.prefix+"/presentations/verify", r.key, body)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case status == 200 && m["verified"] == true:
						verified = append(verified, r.prefix)
					case status == 400 && firstCode(m) == want(r):
					default:
						other = append(other, r.prefix+": "+firstCode(m))
					}
				})
			}
			wg.Wait()
			if len(verified) != 1 || verified[0] != home.prefix || len(other) > 0 {
				t.Fatalf("verified on %q, other answers %v; want verified once on %q", verified, other, home.prefix)
			}
			for _, r := range routes {
				if status, m := postAs(t, srv.URL+r.prefix+"/presentations/verify", r.key, body); status != 400 || firstCode(m) != want(r) {
					t.Fatalf("%s afterwards: %d %v, want %s", r.prefix, status, m, want(r))
				}
			}
		})
	}
}
