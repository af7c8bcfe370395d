package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/internal/testutil"
	"github.com/idport/idport/verifier/profiles"
)

func keyHash(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }

// postAs posts body with a bearer key.
func postAs(t *testing.T, url, key string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("status %d, body not JSON: %q", resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

// TestProfiles: two profiles give different verdicts on the same credential; a relying party
// uses only its own profiles; the plain route keeps the service's policy.
func TestProfiles(t *testing.T) {
	is := testutil.NewParty(t, keys.EdDSA) // an SG authority, local assurance substantial
	const bankKey, shopKey = "bank-key-0123456789abcdef", "shop-key-0123456789abcdef"
	set, err := profiles.New(profiles.Config{
		RelyingParties: []profiles.RelyingParty{{Name: "bank", APIKeySHA256: keyHash(bankKey)}, {Name: "shop", APIKeySHA256: keyHash(shopKey)}},
		Profiles: []profiles.Profile{
			{Name: "bank-kyc", RelyingParty: "bank", Jurisdictions: []string{"SG"}, MinAssurance: "substantial", CredentialTypes: []string{"BusinessRegistration"}},
			{Name: "bank-high", RelyingParty: "bank", MinAssurance: "high"},
			{Name: "shop-hk", RelyingParty: "shop", Jurisdictions: []string{"HK"}},
		},
	}, verifier.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	srv := newProfileServer(t, set, verifier.NewStaticTrust(4, is.Authority()))
	cred := is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testutil.Now.Add(-time.Hour)}.JSON())
	body := jsonBody(map[string]any{"verifiableCredential": cred})

	cases := []struct {
		name, path, key string
		status          int
		code            string
	}{
		{"plain route, service policy", "/credentials/verify", "", 200, ""},
		{"bank-kyc accepts", "/profiles/bank-kyc/credentials/verify", bankKey, 200, ""},
		{"bank-high refuses the same credential", "/profiles/bank-high/credentials/verify", bankKey, 400, "assurance_too_low"},
		{"shop-hk refuses the same credential", "/profiles/shop-hk/credentials/verify", shopKey, 400, "jurisdiction_not_accepted"},
		{"shop uses bank's profile", "/profiles/bank-kyc/credentials/verify", shopKey, 403, "profile_forbidden"},
		{"bank uses shop's profile", "/profiles/shop-hk/credentials/verify", bankKey, 403, "profile_forbidden"},
		{"shop presents to bank's profile", "/profiles/bank-kyc/presentations/verify", shopKey, 403, "profile_forbidden"},
		{"no key", "/profiles/bank-kyc/credentials/verify", "", 401, "unauthorized"},
		{"unknown key", "/profiles/bank-kyc/credentials/verify", "guess", 401, "unauthorized"},
		{"key hash as key", "/profiles/bank-kyc/credentials/verify", keyHash(bankKey), 401, "unauthorized"},
		{"unknown profile", "/profiles/nope/credentials/verify", bankKey, 404, "profile_not_found"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			status, m := postAs(t, srv.URL+tt.path, tt.key, body)
			if status != tt.status || (tt.code != "" && firstCode(m) != tt.code) {
				t.Fatalf("%d %s, want %d %s: %v", status, firstCode(m), tt.status, tt.code, m)
			}
		})
	}
	// A request can narrow its profile, never loosen it.
	status, m := postAs(t, srv.URL+"/profiles/bank-kyc/credentials/verify", bankKey,
		jsonBody(map[string]any{"verifiableCredential": cred, "options": map[string]any{"jurisdictions": []string{"HK"}}}))
	if status != 400 {
		t.Fatalf("narrowed profile: %d %v", status, m)
	}
}

func TestProfilesConfigChecked(t *testing.T) {
	rp := []profiles.RelyingParty{{Name: "bank", APIKeySHA256: keyHash("k")}}
	for name, c := range map[string]profiles.Config{
		"clear key":      {RelyingParties: []profiles.RelyingParty{{Name: "bank", APIKeySHA256: "k"}}},
		"unknown owner":  {RelyingParties: rp, Profiles: []profiles.Profile{{Name: "p", RelyingParty: "shop"}}},
		"bad mode":       {RelyingParties: rp, Profiles: []profiles.Profile{{Name: "p", RelyingParty: "bank", CrossBorderClaims: "maybe"}}},
		"bad binding":    {RelyingParties: rp, Profiles: []profiles.Profile{{Name: "p", RelyingParty: "bank", HolderBinding: "loose"}}},
		"bad assurance":  {RelyingParties: rp, Profiles: []profiles.Profile{{Name: "p", RelyingParty: "bank", MinAssurance: "L9"}}},
		"duplicate name": {RelyingParties: rp, Profiles: []profiles.Profile{{Name: "p", RelyingParty: "bank"}, {Name: "p", RelyingParty: "bank"}}},
	} {
		if _, err := profiles.New(c, verifier.Policy{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// newProfileServer serves a verifier with the relying-party profiles set, trusting trust, on a
// real loopback listener closed with the test.
func newProfileServer(t *testing.T, set *profiles.Set, trust verifier.TrustSource) *httptest.Server {
	t.Helper()
	svc, err := httpapi.NewService(httpapi.ServiceConfig{
		DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), Profiles: set,
		Verifier: verifier.Config{TrustSource: trust, Clock: testutil.Clock, StatusFetcher: &testutil.Status{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	return srv
}
