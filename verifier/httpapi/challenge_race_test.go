package httpapi_test

import (
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/internal/testutil"
	"github.com/idport/idport/verifier/profiles"
)

// TestChallengeOnceAcrossProfiles: a challenge is one verifier's, not one
// route's: a presentation bound to it, posted at once to the plain route
// and to two relying parties' profiles (a relay by another relying party),
// is verified exactly once; every other copy is challenge_reused, and so
// is a copy posted afterwards to any route.
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
	svc, err := httpapi.NewService(httpapi.ServiceConfig{
		DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), Profiles: set,
		Verifier: verifier.Config{TrustSource: verifier.NewStaticTrust(4, is.Authority()), Clock: testutil.Clock,
			StatusFetcher: &testutil.Status{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })

	_, ch := post(t, srv.URL+"/challenges", "application/json", []byte(`{}`))
	nonce := ch["challenge"].(string)
	cred := is.JOSE(t, testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testutil.Now.Add(-time.Hour)}.JSON())
	body := jsonBody(map[string]any{"verifiablePresentation": holder.JWTVP(t, nonce, "https://verifier.example", cred)})
	routes := []struct{ path, key string }{
		{"/presentations/verify", ""}, {"/profiles/bank-login/presentations/verify", bankKey}, {"/profiles/shop-login/presentations/verify", shopKey},
	}
	var (
		mu            sync.Mutex
		verified      int
		reused, other []string
		wg            sync.WaitGroup
	)
	for i := range 3 * len(routes) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := routes[i%len(routes)]
			status, m := postAs(t, srv.URL+r.path, r.key, body)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case status == 200 && m["verified"] == true:
				verified++
			case status == 400 && firstCode(m) == "challenge_reused":
				reused = append(reused, r.path)
			default:
				other = append(other, r.path+": "+firstCode(m))
			}
		}()
	}
	wg.Wait()
	if verified != 1 || len(reused) != 3*len(routes)-1 || len(other) > 0 {
		t.Fatalf("%d verified, %d challenge_reused, others %v; want 1 and %d", verified, len(reused), other, 3*len(routes)-1)
	}
	for _, r := range routes {
		if status, m := postAs(t, srv.URL+r.path, r.key, body); status != 400 || firstCode(m) != "challenge_reused" {
			t.Fatalf("%s afterwards: %d %v", r.path, status, m)
		}
	}
}
