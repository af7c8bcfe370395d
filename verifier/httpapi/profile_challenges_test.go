package httpapi_test

import (
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
	"github.com/idport/idport/verifier/profiles"
)

// TestProfileChallengesNotRelayed: a challenge of /profiles/{name}/challenges
// is accepted only by that profile's presentations/verify. A presentation
// made for one relying party's challenge and relayed to another's profile,
// to its owner's other profile or to the plain route is refused
// challenge_wrong_audience (even when the relayer passes the challenge as
// its own, under a policy accepting caller challenges), and the refusals
// leave the challenge usable where it belongs; a plain challenge is not
// accepted under a profile.
func TestProfileChallengesNotRelayed(t *testing.T) {
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	const bankKey, shopKey = "bank-key-0123456789abcdef", "shop-key-0123456789abcdef"
	set, err := profiles.New(profiles.Config{
		RelyingParties: []profiles.RelyingParty{{Name: "bank", APIKeySHA256: keyHash(bankKey)}, {Name: "shop", APIKeySHA256: keyHash(shopKey)}},
		Profiles: []profiles.Profile{
			{Name: "bank-kyc", RelyingParty: "bank", Jurisdictions: []string{"SG"}},
			{Name: "bank-any", RelyingParty: "bank"},
			{Name: "shop-any", RelyingParty: "shop"},
		},
	}, verifier.Policy{AllowCallerChallenge: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := newProfileServer(t, set, verifier.NewStaticTrust(4, is.Authority()))

	const aud = "https://verifier.example"
	cred := is.JOSE(t, testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testutil.Now.Add(-time.Hour)}.JSON())
	challenge := func(path, key string) string {
		t.Helper()
		status, m := postAs(t, srv.URL+path, key, []byte(`{}`))
		c, _ := m["challenge"].(string)
		if status != 200 || c == "" {
			t.Fatalf("challenge at %s: %d %v", path, status, m)
		}
		return c
	}
	verify := func(path, key, vp string, options map[string]any) (int, string) {
		t.Helper()
		status, m := postAs(t, srv.URL+path, key, jsonBody(map[string]any{"verifiablePresentation": vp, "options": options}))
		return status, firstCode(m)
	}

	bankNonce := challenge("/profiles/bank-kyc/challenges", bankKey)
	bankVP := holder.JWTVP(t, bankNonce, aud, cred)
	for _, tc := range []struct {
		name, path, key string
		options         map[string]any
	}{
		{"to another relying party's profile", "/profiles/shop-any/presentations/verify", shopKey, map[string]any{"domain": aud}},
		{"as the relayer's own caller challenge", "/profiles/shop-any/presentations/verify", shopKey, map[string]any{"domain": aud, "challenge": bankNonce}},
		{"to its owner's other profile", "/profiles/bank-any/presentations/verify", bankKey, map[string]any{"domain": aud}},
		{"to the plain route", "/presentations/verify", "", map[string]any{"domain": aud}},
	} {
		if status, code := verify(tc.path, tc.key, bankVP, tc.options); status != 400 || code != "challenge_wrong_audience" {
			t.Errorf("bank-kyc's presentation relayed %s: %d %s, want 400 challenge_wrong_audience", tc.name, status, code)
		}
	}
	if status, code := verify("/profiles/bank-kyc/presentations/verify", bankKey, bankVP, map[string]any{"domain": aud}); status != 200 {
		t.Fatalf("bank-kyc's presentation where it belongs, after the refused relays: %d %s", status, code)
	}
	if status, code := verify("/profiles/bank-kyc/presentations/verify", bankKey, bankVP, map[string]any{"domain": aud}); status != 400 || code != "challenge_reused" {
		t.Fatalf("bank-kyc's presentation again: %d %s", status, code)
	}

	plainVP := holder.JWTVP(t, challenge("/challenges", ""), aud, cred)
	if status, code := verify("/profiles/bank-kyc/presentations/verify", bankKey, plainVP, map[string]any{"domain": aud}); status != 400 || code != "challenge_wrong_audience" {
		t.Fatalf("a plain challenge under a profile: %d %s", status, code)
	}
	if status, code := verify("/presentations/verify", "", plainVP, map[string]any{"domain": aud}); status != 200 {
		t.Fatalf("a plain challenge on the plain route: %d %s", status, code)
	}

	// This verifier does not serve OpenID4VP: not under a profile either.
	if status, m := postAs(t, srv.URL+"/profiles/bank-kyc/openid4vp/requests", bankKey, []byte(`{}`)); status != 503 || m["code"] != "openid4vp_disabled" {
		t.Errorf("OpenID4VP under a profile of a verifier without it: %d %v", status, m)
	}

	// The profile's challenge route authenticates as its verify routes do.
	for _, tc := range []struct {
		key    string
		status int
		code   string
	}{{shopKey, 403, "profile_forbidden"}, {"", 401, "unauthorized"}} {
		status, m := postAs(t, srv.URL+"/profiles/bank-kyc/challenges", tc.key, []byte(`{}`))
		if status != tc.status || m["code"] != tc.code {
			t.Errorf("challenge with key %q: %d %v", tc.key, status, m)
		}
	}
}
