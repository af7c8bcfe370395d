package crossborder_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/verifier"
)

// holderKey is a wallet key with its did:key.
type holderKey struct {
	key *keys.Key
	did string
}

func newHolder(t *testing.T) holderKey {
	t.Helper()
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	d, kid, err := did.KeyDID(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	k.ID = kid
	return holderKey{key: k, did: d}
}

// present signs a VC 2.0 JWT presentation of cred for nonce and audience.
func (h holderKey) present(t *testing.T, cred json.RawMessage, nonce, aud string) string {
	t.Helper()
	vp, err := vcjwt.SignVPJWT(h.key, vcjwt.VPParams{Version: 2, Holder: h.did, Credentials: []string{compact(t, cred)}, Nonce: nonce, Audience: aud})
	if err != nil {
		t.Fatal(err)
	}
	return vp
}

// compact returns the compact token of a vc+jwt credential as the issuer answers it (an
// EnvelopedVerifiableCredential).
func compact(t *testing.T, cred json.RawMessage) string {
	t.Helper()
	env, err := vc.ParseEnveloped(cred)
	if err != nil {
		t.Fatalf("credential %s: %v", cred, err)
	}
	return env.Data
}

type onboarded struct {
	issuer.OnboardingRecord
	Existing bool `json:"existing"`
}

// TestOnboardingByPresentation: the applicant's wallet presents its Singapore credential
// (subject = the wallet's DID) in a JWT presentation signed for a challenge the Lingang issuer
// issued, with the issuer as audience. The issuer onboards it like a bare credential (same
// evidence digest, the wallet's DID as the local subject and as the record's holder); a new
// presentation of the same credential is the same record; a replayed presentation, a
// presentation for a challenge the issuer did not issue, for another audience, or by a
// holder the credential does not name is refused with the verifier's code.
func TestOnboardingByPresentation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, reg, sg, _, err := stack.NewDemoWorld(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lg, err := s.StartIssuer(ctx, stack.IssuerOptions{Name: "lingang", Registry: reg, RegistryCheck: issuer.CheckWarn,
		Types:      append(issuer.DefaultTypes(), demoseed.LocalCredentialType()),
		Onboarding: &stack.OnboardingOptions{Type: demoseed.LocalType, Policy: verifier.Policy{LocalScheme: demoseed.LocalScheme}}})
	if err != nil {
		t.Fatal(err)
	}
	wallet, other := newHolder(t), newHolder(t)
	sub := maps.Clone(subject)
	sub["id"] = wallet.did
	cred, _, err := sg.Issue(ctx, demoseed.Type, "vc+jwt", sub, nil)
	if err != nil {
		t.Fatal(err)
	}
	challenge := func() issuer.OnboardingChallenge {
		t.Helper()
		var ch issuer.OnboardingChallenge
		if _, _, err := stack.Call(ctx, http.MethodPost, lg.URL+"/onboarding/challenges", lg.APIKey, nil, &ch, http.StatusCreated); err != nil {
			t.Fatal(err)
		}
		if ch.Challenge == "" || ch.Domain != lg.URL || !ch.Expires.After(time.Now()) {
			t.Fatalf("challenge %+v", ch)
		}
		return ch
	}
	onboard := func(vp string, out any, want int) {
		t.Helper()
		if _, _, err := stack.Call(ctx, http.MethodPost, lg.URL+"/onboarding", lg.APIKey, map[string]any{"presentation": vp}, out, want); err != nil {
			t.Fatal(err)
		}
	}

	ch := challenge()
	vp := wallet.present(t, cred, ch.Challenge, ch.Domain)
	var rec onboarded
	onboard(vp, &rec, http.StatusCreated)
	sum := sha256.Sum256([]byte(compact(t, cred)))
	if rec.ForeignDigest != "sha256:"+hex.EncodeToString(sum[:]) || rec.Holder != wallet.did || rec.Existing {
		t.Fatalf("record %+v", rec.OnboardingRecord)
	}
	var local string
	_ = json.Unmarshal(rec.Credential, &local)
	payload := jwtPayload(t, local)
	if !strings.Contains(payload, `"id":"`+wallet.did+`"`) || !strings.Contains(payload, rec.ForeignDigest) {
		t.Fatalf("local credential: subject or evidence missing: %s", payload)
	}

	// A new presentation of the same credential: the same record.
	ch = challenge()
	var again onboarded
	onboard(wallet.present(t, cred, ch.Challenge, ch.Domain), &again, http.StatusOK)
	if !again.Existing || again.ID != rec.ID || again.CredentialID != rec.CredentialID {
		t.Fatalf("repeat %+v", again)
	}

	ch = challenge()
	for _, c := range []struct {
		name, vp, verifier string
	}{
		{"replayed presentation", vp, string(verifier.CodeChallengeReused)},
		{"challenge not issued here", wallet.present(t, cred, "made-up-nonce", lg.URL), string(verifier.CodeChallengeInvalid)},
		{"another audience", wallet.present(t, cred, ch.Challenge, "https://bank.example"), string(verifier.CodeChallengeInvalid)},
		{"presented by someone else", other.present(t, cred, challenge().Challenge, lg.URL), string(verifier.CodeHolderBindingFailed)},
	} {
		var p problem
		onboard(c.vp, &p, http.StatusBadRequest)
		if p.Code != string(issuer.CodeForeignNotVerified) || (c.verifier != "" && !slices.Contains(p.VerifierCodes, c.verifier)) || len(p.VerifierCodes) == 0 {
			t.Errorf("%s: %s %v, want %s with %q", c.name, p.Code, p.VerifierCodes, issuer.CodeForeignNotVerified, c.verifier)
		}
	}
	// Both forms at once are refused.
	var p problem
	if _, _, err := stack.Call(ctx, http.MethodPost, lg.URL+"/onboarding", lg.APIKey,
		map[string]any{"presentation": vp, "credential": cred}, &p, http.StatusBadRequest); err != nil || p.Code != string(issuer.CodeInvalidRequest) {
		t.Fatalf("credential and presentation: %v %s", err, p.Code)
	}
}

// jwtPayload returns the decoded payload of a compact JWS, as JSON text.
func jwtPayload(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
