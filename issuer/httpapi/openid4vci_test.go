package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
)

// vciServer is an issuer on loopback whose base URL is its real address, as wallets need.
type vciServer struct {
	URL    string
	APIKey string
	svc    *httpapi.Service
	db     *bolt.DB
	mu     sync.Mutex
	now    time.Time
}

func (s *vciServer) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.now.IsZero() {
		return time.Now()
	}
	return s.now
}

// advance moves the issuer's clock d ahead of real time.
func (s *vciServer) advance(d time.Duration) {
	s.mu.Lock()
	s.now = time.Now().Add(d)
	s.mu.Unlock()
}

// newVCIServer starts the server; configure, when given, adjusts the issuer configuration.
func newVCIServer(t testing.TB, configure ...func(*issuer.Config)) *vciServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.DBFile), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := &vciServer{URL: "http://" + ln.Addr().String(), db: st.(*boltstore.Store).DB()}
	cfg := issuer.Config{Store: st, BaseURL: v.URL, Secret: []byte("0123456789abcdef0123456789abcdef"), Clock: v.clock}
	for _, f := range configure {
		f(&cfg)
	}
	v.svc, err = httpapi.NewService(context.Background(), httpapi.ServiceConfig{Issuer: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: v.svc.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); _ = v.svc.Close() })
	if v.APIKey, err = v.svc.CreateAPIKey(context.Background(), "portal", "*"); err != nil {
		t.Fatal(err)
	}
	return v
}

func personSubject() map[string]any {
	return map[string]any{"givenName": "Mei", "familyName": "Tan", "birthDate": "1990-01-02", "nationality": "SG"}
}

// do sends a request and decodes a JSON answer into out (when not nil); it returns the status.
func (s *vciServer) do(t testing.TB, method, path, ctype, auth string, body []byte, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func (s *vciServer) offer(t testing.TB, formats []string, txLen int) httpapi.OfferResponse {
	t.Helper()
	body := map[string]any{"type": "PersonIdentity", "credentialSubject": personSubject(), "formats": formats}
	if txLen > 0 {
		body["txCode"] = map[string]any{"length": txLen, "description": "sent to your phone"}
	}
	var o httpapi.OfferResponse
	if st := s.do(t, "POST", openid4vci.PathOffers, "application/json", s.APIKey, []byte(js(body)), &o); st != 201 {
		t.Fatalf("create offer: %d %+v", st, o)
	}
	return o
}

// preAuthCode reads the pre-authorized code from the offer fetched by reference.
func (s *vciServer) preAuthCode(t testing.TB, o httpapi.OfferResponse) string {
	t.Helper()
	var obj struct {
		Grants map[string]struct {
			Code string `json:"pre-authorized_code"`
		} `json:"grants"`
	}
	if st := s.do(t, "GET", strings.TrimPrefix(o.CredentialOfferURI, s.URL), "", "", nil, &obj); st != 200 {
		t.Fatalf("fetch offer: %d", st)
	}
	return obj.Grants[openid4vci.GrantPreAuthorized].Code
}

type oauthErr struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	AccessToken string `json:"access_token"`
	CNonce      string `json:"c_nonce"`
}

func (s *vciServer) token(t testing.TB, code, tx string) (int, oauthErr) {
	t.Helper()
	f := url.Values{"grant_type": {openid4vci.GrantPreAuthorized}, "pre-authorized_code": {code}}
	if tx != "" {
		f.Set("tx_code", tx)
	}
	var out oauthErr
	st := s.do(t, "POST", openid4vci.PathToken, "application/x-www-form-urlencoded", "", []byte(f.Encode()), &out)
	return st, out
}

func (s *vciServer) nonce(t testing.TB) string {
	t.Helper()
	var out oauthErr
	if st := s.do(t, "POST", openid4vci.PathNonce, "", "", nil, &out); st != 200 || out.CNonce == "" {
		t.Fatalf("nonce: %d %+v", st, out)
	}
	return out.CNonce
}

type credResp struct {
	oauthErr
	Credentials []struct {
		Credential json.RawMessage `json:"credential"`
	} `json:"credentials"`
	NotificationID string `json:"notification_id"`
}

func (s *vciServer) credential(t testing.TB, token, conf string, proofs ...string) (int, credResp) {
	t.Helper()
	var out credResp
	body := map[string]any{"credential_configuration_id": conf, "proofs": map[string]any{"jwt": proofs}}
	st := s.do(t, "POST", openid4vci.PathCredential, "application/json", token, []byte(js(body)), &out)
	return st, out
}

// issuedCount is the number of issuance records in the issuer's store.
func (s *vciServer) issuedCount(t testing.TB) int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("credentials")).Stats().KeyN
		return nil
	})
	return n
}

// proof signs a key proof; header and claims override the defaults.
func proof(t testing.TB, signer *keys.Key, header, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": string(signer.Alg), "typ": openid4vci.ProofTyp}
	jwk, _ := keys.PublicJWK(signer.Public, "")
	h["jwk"] = json.RawMessage(jwk)
	for k, v := range header {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	c := map[string]any{"iat": time.Now().Unix()}
	for k, v := range claims {
		c[k] = v
	}
	in := b64(js(h)) + "." + b64(js(c))
	sig, err := signer.Sign([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func newKey(t testing.TB, alg keys.Alg) *keys.Key {
	k, err := keys.Generate(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jwtPayload decodes the payload of a compact JWS (or the issuer JWT of an SD-JWT).
func jwtPayload(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(strings.Split(tok, "~")[0], ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestOpenID4VCIPreAuthorizedFlow runs the whole flow in Go: offer with tx_code, token, nonce,
// then a batch of two proofs (a jwk header and a did:key kid) for every offered format, and a
// notification; each credential is bound to its proof's key and recorded by the engine.
func TestOpenID4VCIPreAuthorizedFlow(t *testing.T) {
	s := newVCIServer(t)
	var md map[string]any
	if st := s.do(t, "GET", openid4vci.PathIssuerMetadata, "", "", nil, &md); st != 200 {
		t.Fatalf("metadata: %d", st)
	}
	confs := md["credential_configurations_supported"].(map[string]any)
	for _, id := range []string{"PersonIdentity_sd_jwt", "PersonIdentity_jwt_vc_json", "PersonIdentity_ldp_vc", "BusinessRegistration_ldp_vc"} {
		if confs[id] == nil {
			t.Fatalf("metadata lacks %s: %v", id, confs)
		}
	}
	if !strings.Contains(js(confs["PersonIdentity_sd_jwt"]), `"locale":"zh"`) {
		t.Errorf("no zh display: %s", js(confs["PersonIdentity_sd_jwt"]))
	}
	o := s.offer(t, nil, 6)
	if o.TxCode == "" || len(o.Configurations) != 3 || !strings.HasPrefix(o.DeepLink, "openid-credential-offer://?credential_offer_uri=") {
		t.Fatalf("offer: %+v", o)
	}
	for _, p := range []string{"/qr.png", "/qr.svg"} {
		if st := s.do(t, "GET", strings.TrimPrefix(o.CredentialOfferURI, s.URL)+p, "", "", nil, nil); st != 200 {
			t.Fatalf("QR %s: %d", p, st)
		}
	}
	code := s.preAuthCode(t, o)
	st, tok := s.token(t, code, o.TxCode)
	if st != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d %+v", st, tok)
	}
	ed, ec := newKey(t, keys.EdDSA), newKey(t, keys.ES256)
	edDID, edKid, _ := did.KeyDID(ed.Public)
	before := s.issuedCount(t)
	for _, conf := range o.Configurations {
		n := s.nonce(t)
		claims := map[string]any{"aud": s.URL, "nonce": n}
		p1 := proof(t, ec, nil, claims)
		p2 := proof(t, ed, map[string]any{"jwk": nil, "kid": edKid}, claims)
		st, res := s.credential(t, tok.AccessToken, conf, p1, p2)
		if st != 200 || len(res.Credentials) != 2 || res.NotificationID == "" {
			t.Fatalf("%s: %d %+v", conf, st, res)
		}
		for i, c := range res.Credentials {
			switch {
			case strings.HasSuffix(conf, "_sd_jwt"):
				var tokStr string
				_ = json.Unmarshal(c.Credential, &tokStr)
				cnf, _ := jwtPayload(t, tokStr)["cnf"].(map[string]any)
				if cnf == nil || cnf["jwk"] == nil {
					t.Errorf("%s[%d]: no cnf.jwk", conf, i)
				}
			case strings.HasSuffix(conf, "_jwt_vc_json"):
				var tokStr string
				_ = json.Unmarshal(c.Credential, &tokStr)
				sub, _ := jwtPayload(t, tokStr)["sub"].(string)
				if i == 0 && !strings.HasPrefix(sub, "did:jwk:") || i == 1 && sub != edDID {
					t.Errorf("%s[%d]: subject %q", conf, i, sub)
				}
			default:
				var doc struct {
					Subject map[string]any `json:"credentialSubject"`
					Proof   any            `json:"proof"`
				}
				_ = json.Unmarshal(c.Credential, &doc)
				if id, _ := doc.Subject["id"].(string); doc.Proof == nil || i == 1 && id != edDID || i == 0 && !strings.HasPrefix(id, "did:jwk:") {
					t.Errorf("%s[%d]: %s", conf, i, c.Credential)
				}
			}
		}
		if st := s.do(t, "POST", openid4vci.PathNotification, "application/json", tok.AccessToken,
			[]byte(js(map[string]any{"notification_id": res.NotificationID, "event": "credential_accepted"})), nil); st != 204 {
			t.Fatalf("notification: %d", st)
		}
	}
	if got := s.issuedCount(t) - before; got != 6 {
		t.Fatalf("engine recorded %d credentials, want 6", got)
	}
	// Each configuration once per token.
	n := s.nonce(t)
	if st, res := s.credential(t, tok.AccessToken, o.Configurations[0], proof(t, ed, nil, map[string]any{"aud": s.URL, "nonce": n})); st != 400 || res.Error != "credential_request_denied" {
		t.Fatalf("second issuance: %d %+v", st, res)
	}
}

// redeemed returns an access token and a fresh nonce for a new offer of every format.
func redeemed(t *testing.T, s *vciServer) (openid4vci.TokenResponse, string, string) {
	o := s.offer(t, nil, 0)
	st, tok := s.token(t, s.preAuthCode(t, o), "")
	if st != 200 {
		t.Fatalf("token: %d %+v", st, tok)
	}
	return openid4vci.TokenResponse{AccessToken: tok.AccessToken}, o.Configurations[0], s.nonce(t)
}

// TestOpenID4VCINegative: each refused request gets a clear OAuth error and changes nothing
// stored (no credential recorded; the code, token and nonce still work afterwards unless the
// refusal is about their own reuse).
func TestOpenID4VCINegative(t *testing.T) {
	s := newVCIServer(t)
	holder := newKey(t, keys.EdDSA)
	other := newKey(t, keys.EdDSA)

	t.Run("reused pre-authorized code", func(t *testing.T) {
		o := s.offer(t, nil, 0)
		code := s.preAuthCode(t, o)
		if st, _ := s.token(t, code, ""); st != 200 {
			t.Fatal(st)
		}
		st, e := s.token(t, code, "")
		if st != 400 || e.Error != "invalid_grant" || !strings.Contains(e.Description, "already used") {
			t.Fatalf("%d %+v", st, e)
		}
	})
	t.Run("wrong tx_code", func(t *testing.T) {
		o := s.offer(t, nil, 6)
		code := s.preAuthCode(t, o)
		wrong := "000000"
		if wrong == o.TxCode {
			wrong = "111111"
		}
		st, e := s.token(t, code, wrong)
		if st != 400 || e.Error != "invalid_grant" || !strings.Contains(e.Description, "wrong tx_code") || e.AccessToken != "" {
			t.Fatalf("%d %+v", st, e)
		}
		if st, e := s.token(t, code, ""); st != 400 || !strings.Contains(e.Description, "needs a tx_code") {
			t.Fatalf("missing tx_code: %d %+v", st, e)
		}
		if st, _ := s.token(t, code, o.TxCode); st != 200 {
			t.Fatalf("the right tx_code after a wrong one: %d", st)
		}
	})
	t.Run("expired offer", func(t *testing.T) {
		o := s.offer(t, nil, 0)
		code := s.preAuthCode(t, o)
		s.advance(openid4vci.DefaultOfferTTL + time.Second)
		defer s.advance(0)
		st, e := s.token(t, code, "")
		if st != 400 || e.Error != "invalid_grant" || !strings.Contains(e.Description, "expired") {
			t.Fatalf("%d %+v", st, e)
		}
		if st := s.do(t, "GET", strings.TrimPrefix(o.CredentialOfferURI, s.URL), "", "", nil, nil); st != 404 {
			t.Fatalf("expired offer by reference: %d", st)
		}
	})

	// Proof failures: the same token and nonce work afterwards, so nothing was consumed.
	proofCases := []struct {
		name, code, want string
		make             func(aud, nonce string) string
	}{
		{"reused nonce", "invalid_nonce", "already used", nil},
		{"proof signed by another key than its header claims", "invalid_proof", "does not verify", func(aud, n string) string {
			jwk, _ := keys.PublicJWK(holder.Public, "")
			return proof(t, other, map[string]any{"jwk": json.RawMessage(jwk)}, map[string]any{"aud": aud, "nonce": n})
		}},
		{"wrong aud", "invalid_proof", "aud", func(_, n string) string {
			return proof(t, holder, nil, map[string]any{"aud": "https://other.example", "nonce": n})
		}},
		{"alg none", "invalid_proof", "not allowed", func(aud, n string) string {
			h := b64(js(map[string]any{"alg": "none", "typ": openid4vci.ProofTyp}))
			return h + "." + b64(js(map[string]any{"aud": aud, "nonce": n, "iat": time.Now().Unix()})) + "."
		}},
		{"alg HS256", "invalid_proof", "not allowed", func(aud, n string) string {
			h := b64(js(map[string]any{"alg": "HS256", "typ": openid4vci.ProofTyp}))
			return h + "." + b64(js(map[string]any{"aud": aud, "nonce": n, "iat": time.Now().Unix()})) + "." + b64("0123456789abcdef0123456789abcdef")
		}},
		{"wrong typ", "invalid_proof", "typ", func(aud, n string) string {
			return proof(t, holder, map[string]any{"typ": "JWT"}, map[string]any{"aud": aud, "nonce": n})
		}},
	}
	for _, c := range proofCases {
		t.Run(c.name, func(t *testing.T) {
			tok, conf, n := redeemed(t, s)
			good := proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n})
			if c.make == nil { // reused nonce: spend it on another offer first
				tok2, conf2, _ := redeemed(t, s)
				if st, res := s.credential(t, tok2.AccessToken, conf2, good); st != 200 {
					t.Fatalf("first use: %d %+v", st, res)
				}
			}
			before := s.issuedCount(t)
			bad := good
			if c.make != nil {
				bad = c.make(s.URL, n)
			}
			st, res := s.credential(t, tok.AccessToken, conf, bad)
			if st != 400 || res.Error != c.code || !strings.Contains(res.Description, c.want) {
				t.Fatalf("%d %+v", st, res)
			}
			if got := s.issuedCount(t); got != before {
				t.Fatalf("a refused request recorded %d credentials", got-before)
			}
			if c.make == nil {
				n = s.nonce(t)
				good = proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n})
			}
			if st, res := s.credential(t, tok.AccessToken, conf, good); st != 200 {
				t.Fatalf("the token and nonce after the refusal: %d %+v", st, res)
			}
		})
	}
	t.Run("unknown access token", func(t *testing.T) {
		st, res := s.credential(t, "nope", "PersonIdentity_sd_jwt", proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": s.nonce(t)}))
		if st != 401 || res.Error != "invalid_token" {
			t.Fatalf("%d %+v", st, res)
		}
	})
}
