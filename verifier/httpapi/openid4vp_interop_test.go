package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/nodetest"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
)

// vpWorld is a registry, a Singapore issuer and a Lingang verifier with OpenID4VP, on loopback.
type vpWorld struct {
	issuer   *stack.Issuer
	verifier *stack.Verifier
}

func newVPWorld(t *testing.T) *vpWorld {
	t.Helper()
	ctx := context.Background()
	s, reg, sg, _, err := stack.NewDemoWorld(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	v, err := s.StartVerifierWith(ctx, "lingang-verifier", reg, stack.VerifierOptions{OpenID4VPAPIKey: vpAPIKey,
		Policy: verifier.Policy{LocalScheme: demoseed.LocalScheme, AssuranceLevels: []string{"L1", "L2", "L3"}, MinAssurance: "L3"}})
	if err != nil {
		t.Fatal(err)
	}
	return &vpWorld{issuer: sg, verifier: v}
}

var sgCompany = map[string]any{"uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
	"registeredAddress": "1 Marina Boulevard, Singapore 018989", "incorporationDate": "2019-04-02",
	"entityType": "Private Company Limited by Shares"}

// vpHolder is a wallet's key: its private JWK for the npm wallet, its did:jwk.
type vpHolder struct {
	jwk map[string]any
	did string
	pub json.RawMessage
}

func newVPHolder(t *testing.T) vpHolder {
	t.Helper()
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.MinimalJWK(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := did.JWKDID(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	var jwk map[string]any
	_ = json.Unmarshal(pub, &jwk)
	seed := k.Signer.(interface{ Seed() []byte }).Seed()
	jwk["d"] = b64(seed)
	return vpHolder{jwk: jwk, did: d, pub: pub}
}

// issue gets the company's credential in format from the real issuer, bound to h.
func (w *vpWorld) issue(t *testing.T, format string, h vpHolder) string {
	t.Helper()
	raw, _, err := w.issuer.Issue(context.Background(), demoseed.Type, format, sgCompany, map[string]any{"holderJwk": h.pub})
	if err != nil {
		t.Fatal(err)
	}
	var tok string
	if err := json.Unmarshal(raw, &tok); err != nil {
		t.Fatalf("%s credential is not a compact string: %s", format, raw)
	}
	return tok
}

// query asks for the legal name and the uen of a BusinessRegistration in format.
func (w *vpWorld) query(format string) map[string]any {
	cq := map[string]any{"id": "company", "format": format,
		"claims": []any{map[string]any{"path": []string{"legalName"}}, map[string]any{"path": []string{"uen"}}}}
	if format == "dc+sd-jwt" {
		cq["meta"] = map[string]any{"vct_values": []string{w.issuer.URL + "/types/" + demoseed.Type}}
	} else {
		cq["meta"] = map[string]any{"type_values": [][]string{{"VerifiableCredential", demoseed.Type}}}
		cq["claims"] = []any{map[string]any{"path": []string{"credentialSubject", "legalName"}}, map[string]any{"path": []string{"credentialSubject", "uen"}}}
	}
	return map[string]any{"credentials": []any{cq}}
}

func (w *vpWorld) create(t *testing.T, format, mode, prefix string) httpapi.CreatedRequest {
	t.Helper()
	var cr httpapi.CreatedRequest
	_, _, err := stack.Call(context.Background(), http.MethodPost, w.verifier.URL+"/openid4vp/requests", vpAPIKey,
		map[string]any{"dcql_query": w.query(format), "response_mode": mode, "client_id_prefix": prefix}, &cr, http.StatusCreated)
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

func (w *vpWorld) outcome(t *testing.T, cr httpapi.CreatedRequest, wait int) (int, *httpapi.Response) {
	t.Helper()
	var res httpapi.Response
	status, _, err := stack.Call(context.Background(), http.MethodGet, w.verifier.URL+"/openid4vp/requests/"+cr.TransactionID+"?wait="+strconv.Itoa(wait),
		vpAPIKey, nil, &res, http.StatusOK, http.StatusBadRequest, http.StatusAccepted)
	if err != nil {
		t.Fatal(err)
	}
	return status, &res
}

// walletResult is what openid4vp-wallet.mjs reports.
type walletResult struct {
	Refused      string `json:"refused"`
	Version      int    `json:"version"`
	ClientID     string `json:"clientId"`
	ClientPrefix string `json:"clientPrefix"`
	Signer       string `json:"signer"`
	ResponseMode string `json:"responseMode"`
	Encrypted    bool   `json:"encrypted"`
	Status       int    `json:"status"`
	Body         string `json:"body"`
}

func runVPWallet(t *testing.T, cr httpapi.CreatedRequest, h vpHolder, format, cred string, disclose []string, extra map[string]any) walletResult {
	t.Helper()
	in := map[string]any{"deepLink": cr.DeepLink, "holderJwk": h.jwk, "holderDid": h.did, "format": format,
		"credential": cred, "disclose": disclose}
	for k, v := range extra {
		in[k] = v
	}
	var out walletResult
	nodetest.Run(t, "openid4vp-wallet.mjs", in, &out)
	return out
}

// TestOpenID4VPWalletInterop: the OpenWallet Foundation's @openid4vc/openid4vp (0.4.6) as the
// wallet resolves request_uri, verifies the request object (signed by the verifier's did:jwk,
// or unsigned for redirect_uri:), presents a credential a real idport issuer issued, and posts
// the response with direct_post and direct_post.jwt; the relying party then reads a verified
// outcome with the registry's recognition grounds. In both formats the verifier supports over
// OpenID4VP: dc+sd-jwt (SD-JWT + KB-JWT) and jwt_vc_json (a VP JWT).
func TestOpenID4VPWalletInterop(t *testing.T) {
	nodetest.Dir(t)
	w := newVPWorld(t)
	h := newVPHolder(t)
	for _, format := range []string{"dc+sd-jwt", "jwt_vc_json"} {
		cred := w.issue(t, format, h)
		for _, mode := range []string{"direct_post", "direct_post.jwt"} {
			for _, prefix := range []string{"decentralized_identifier", "redirect_uri"} {
				t.Run(format+"/"+mode+"/"+prefix, func(t *testing.T) {
					cr := w.create(t, format, mode, prefix)
					out := runVPWallet(t, cr, h, format, cred, []string{"legalName", "uen"}, nil)
					if out.Refused != "" {
						t.Fatalf("the wallet refused the request: %s", out.Refused)
					}
					wantSigner := map[string]string{"decentralized_identifier": "did", "redirect_uri": "none"}[prefix]
					if out.ClientID != cr.ClientID || out.ClientPrefix != prefix || out.Signer != wantSigner ||
						out.ResponseMode != mode || out.Encrypted != (mode == "direct_post.jwt") || out.Version != 100 {
						t.Fatalf("wallet view: %+v", out)
					}
					if out.Status != http.StatusOK {
						t.Fatalf("response: HTTP %d %s", out.Status, out.Body)
					}
					status, res := w.outcome(t, cr, 5)
					if status != http.StatusOK || !res.Verified || res.Recognition == nil || res.Recognition.Authority != demoseed.AuthorityID {
						t.Fatalf("outcome: HTTP %d %+v", status, res)
					}
					if res.Claims["registrationNumber"] != "201912345K" || res.Claims["enterpriseName"] != "Acme Trading Pte. Ltd." {
						t.Fatalf("claims: %v", res.Claims)
					}
				})
			}
		}
	}
}

// TestOpenID4VPWalletInteropRefusals: through the same npm wallet, a request object altered in
// transit is refused by the wallet (its signature no longer verifies), and a presentation
// bound to another nonce or disclosing more than asked is refused by the verifier, which keeps
// the request open.
func TestOpenID4VPWalletInteropRefusals(t *testing.T) {
	nodetest.Dir(t)
	w := newVPWorld(t)
	h := newVPHolder(t)
	cred := w.issue(t, "dc+sd-jwt", h)

	cr := w.create(t, "dc+sd-jwt", "direct_post.jwt", "decentralized_identifier")
	if out := runVPWallet(t, cr, h, "dc+sd-jwt", cred, []string{"legalName", "uen"}, map[string]any{"tamper": true}); !strings.Contains(out.Refused, "signature") && !strings.Contains(out.Refused, "verif") {
		t.Fatalf("a tampered request object was not refused: %+v", out)
	} else {
		t.Logf("the wallet refused the tampered request object: %s", out.Refused)
	}
	for _, tc := range []struct {
		name     string
		disclose []string
		extra    map[string]any
		code     string
	}{
		{"wrong nonce", []string{"legalName", "uen"}, map[string]any{"nonce": "not-the-request-nonce"}, "openid4vp_response_not_bound"},
		{"over-disclosure", []string{"legalName", "uen", "registeredAddress"}, nil, "openid4vp_over_disclosure"},
	} {
		out := runVPWallet(t, cr, h, "dc+sd-jwt", cred, tc.disclose, tc.extra)
		if out.Status != http.StatusBadRequest || !strings.Contains(out.Body, tc.code) {
			t.Errorf("%s: HTTP %d %s, want 400 %s", tc.name, out.Status, out.Body, tc.code)
		}
		if status, _ := w.outcome(t, cr, 0); status != http.StatusAccepted {
			t.Fatalf("%s: the request did not stay open (outcome HTTP %d)", tc.name, status)
		}
	}
	// The real answer still goes through afterwards.
	if out := runVPWallet(t, cr, h, "dc+sd-jwt", cred, []string{"legalName", "uen"}, nil); out.Status != http.StatusOK {
		t.Fatalf("the honest response after refusals: %+v", out)
	}
	if status, res := w.outcome(t, cr, 5); status != http.StatusOK || !res.Verified {
		t.Fatalf("outcome: HTTP %d %+v", status, res)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
