package issuer_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/pkg/vcld"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// env is a running issuer behind a real loopback listener.
type env struct {
	svc   *httpapi.Service
	srv   *httptest.Server
	token string
	dir   string
	cfg   config
}

// config is what these tests vary: the data directory, the engine and the bbolt store.
type config struct {
	DataDir string
	issuer.Config
	Bolt boltstore.Options
}

// open opens the issuer service the way the idport binary does: the bbolt store in DataDir,
// the engine over it, the HTTP handler in front.
func open(c config) (*httpapi.Service, error) {
	st, err := boltstore.Open(filepath.Join(c.DataDir, boltstore.DBFile), c.Bolt)
	if err != nil {
		return nil, err
	}
	ic := c.Config
	ic.Store = st
	return httpapi.NewService(context.Background(), httpapi.ServiceConfig{Issuer: ic, Logger: c.Logger})
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t testing.TB, mut func(*config)) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: t.TempDir()}
	e.cfg = config{DataDir: e.dir, Config: issuer.Config{BaseURL: "http://" + ln.Addr().String(), Secret: secret,
		Logger: slog.New(slog.DiscardHandler)}}
	if mut != nil {
		mut(&e.cfg)
	}
	e.svc, err = open(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewUnstartedServer(e.svc.Handler())
	e.srv.Listener.Close()
	e.srv.Listener = ln
	e.srv.Start()
	t.Cleanup(func() { e.srv.Close(); _ = e.svc.Close() })
	e.token, err = e.svc.CreateAPIKey(context.Background(), "test", "*")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) post(t testing.TB, path, token string, body any) (int, []byte, http.Header) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

func (e *env) get(t testing.TB, path string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

var business = map[string]any{"uen": "201912345K", "legalName": "Lion City Robotics Pte. Ltd.",
	"registeredAddress": "1 Fusionopolis Way, Singapore 138632", "incorporationDate": "2019-04-01", "entityType": "Private Company Limited by Shares"}

var person = map[string]any{"givenName": "Mei Ling", "familyName": "Chan", "birthDate": "1990-02-03", "nationality": "HK",
	"residency": "HK", "ageOver18": true, "address": map[string]any{"locality": "Kowloon", "country": "HK"}}

type issueResp struct {
	VC json.RawMessage `json:"verifiableCredential"`
}

func (e *env) issue(t testing.TB, body any) (json.RawMessage, string) {
	t.Helper()
	code, out, h := e.post(t, "/credentials/issue", e.token, body)
	if code != http.StatusCreated {
		t.Fatalf("issue: %d %s", code, out)
	}
	var r issueResp
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return r.VC, h.Get("Idport-Credential-Id")
}

func (e *env) resolver() *did.CachingResolver {
	return did.NewResolver(did.ResolverOptions{AllowHTTP: true, AllowHosts: []string{"127.0.0.1"}, TTL: time.Millisecond})
}

// verifyJOSE verifies a JOSE credential (token string or enveloped JSON) with the issuer key
// resolved from its did:web over HTTP.
func (e *env) verifyJOSE(t testing.TB, raw json.RawMessage) *vcjwt.Verified {
	t.Helper()
	s := string(raw)
	var str string
	if json.Unmarshal(raw, &str) == nil {
		s = str
	}
	p, err := vcjwt.ParseCredential(s)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, raw)
	}
	pub, _, err := did.ResolveKey(context.Background(), e.resolver(), p.KeyID())
	if err != nil {
		t.Fatalf("resolve %s: %v", p.KeyID(), err)
	}
	v, err := p.Verify(pub)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return v
}

func TestIssueEveryFormat(t *testing.T) {
	e := start(t, nil)
	holder, _, _ := ed25519.GenerateKey(rand.Reader)
	hjwk, _ := keys.PublicJWK(holder, "")
	cases := []struct {
		name   string
		body   map[string]any
		format vc.Format
	}{
		{"vc+jwt", map[string]any{"type": "BusinessRegistration", "credentialSubject": business}, vc.FormatVCJOSE},
		{"jwt_vc_json", map[string]any{"type": "BusinessRegistration", "credentialSubject": business, "format": "jwt_vc_json"}, vc.FormatVCJWT11},
		{"dc+sd-jwt", map[string]any{"type": "PersonIdentity", "credentialSubject": person, "options": map[string]any{"holderJwk": json.RawMessage(hjwk)}}, vc.FormatSDJWT},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, id := e.issue(t, c.body)
			if id == "" {
				t.Fatal("no credential id header")
			}
			v := e.verifyJOSE(t, raw)
			if v.Format != c.format || v.Issuer != e.svc.DID() {
				t.Fatalf("format %s issuer %s", v.Format, v.Issuer)
			}
			if len(v.Status) == 0 {
				t.Fatal("no status entry")
			}
			if c.format == vc.FormatSDJWT {
				if v.HolderKey == nil {
					t.Fatal("no cnf.jwk holder binding")
				}
				if v.Claims["givenName"] != "Mei Ling" {
					t.Fatalf("claims %v", v.Claims)
				}
			} else if v.Claims["uen"] != "201912345K" {
				t.Fatalf("claims %v", v.Claims)
			}
		})
	}
	t.Run("ldp_vc", func(t *testing.T) {
		raw, _ := e.issue(t, map[string]any{"type": "BusinessRegistration", "credentialSubject": business, "format": "ldp_vc"})
		res, err := vcld.VerifyCredential(context.Background(), raw, func(ctx context.Context, vm string) (crypto.PublicKey, error) {
			pub, _, err := did.ResolveKey(ctx, e.resolver(), vm)
			return pub, err
		})
		if err != nil {
			t.Fatalf("verify Data Integrity: %v\n%s", err, raw)
		}
		if res.Issuer != e.svc.DID() || len(res.Status) != 2 {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("VC-API credential v2 keeps @context order", func(t *testing.T) {
		cred := map[string]any{
			"@context":          []any{vc.ContextV2, "https://www.w3.org/ns/credentials/examples/v2"},
			"type":              []string{"VerifiableCredential", "ExampleCredential"},
			"issuer":            e.svc.DID(),
			"credentialSubject": map[string]any{"id": "did:example:123", "name": "x"},
		}
		raw, _ := e.issue(t, map[string]any{"credential": cred})
		v := e.verifyJOSE(t, raw)
		c, err := v.Credential()
		if err != nil {
			t.Fatal(err)
		}
		if c.Context[1] != "https://www.w3.org/ns/credentials/examples/v2" || c.ID == "" || len(c.Status) != 2 {
			t.Fatalf("credential %+v", c)
		}
	})
	t.Run("VC-API credential v1 as VC-JWT", func(t *testing.T) {
		cred := map[string]any{
			// Every format validates JSON-LD: the issuer's name needs a term definition in 1.1.
			"@context":          []any{vc.ContextV1, map[string]any{"name": "https://schema.org/name"}},
			"type":              []string{"VerifiableCredential"},
			"issuer":            map[string]any{"id": e.svc.DID(), "name": "Registry"},
			"issuanceDate":      "2026-01-01T00:00:00Z",
			"credentialSubject": map[string]any{"id": "did:example:123"},
		}
		raw, _ := e.issue(t, map[string]any{"credential": cred})
		v := e.verifyJOSE(t, raw)
		if v.Format != vc.FormatVCJWT11 {
			t.Fatalf("format %s", v.Format)
		}
	})
}

func TestStatusVisibleToVerifier(t *testing.T) {
	e := start(t, func(c *config) { c.StatusTTL = time.Minute })
	raw, id := e.issue(t, map[string]any{"type": "BusinessRegistration", "credentialSubject": business})
	v := e.verifyJOSE(t, raw)
	var rev, sus vcjwt.StatusRef
	for _, s := range v.Status {
		switch s.Purpose {
		case "revocation":
			rev = s
		case "suspension":
			sus = s
		}
	}
	if rev.URI == "" || sus.URI == "" || rev.Index != sus.Index {
		t.Fatalf("status entries %+v", v.Status)
	}
	bit := func(ref vcjwt.StatusRef) bool {
		t.Helper()
		f, err := statuslist.NewFetcher(statuslist.FetcherOptions{Resolver: e.resolver(), Net: did.NetOptions{AllowHTTP: true, AllowHosts: []string{"127.0.0.1"}}})
		if err != nil {
			t.Fatal(err)
		}
		on, _, err := f.BitstringStatus(context.Background(), ref.URI, ref.Purpose, ref.Index)
		if err != nil {
			t.Fatalf("fetch %s: %v", ref.URI, err)
		}
		return on
	}
	if bit(rev) || bit(sus) {
		t.Fatal("fresh credential is not valid")
	}
	steps := []struct {
		body     map[string]any
		code     int
		rev, sus bool
	}{
		{map[string]any{"credentialId": id, "credentialStatus": []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "suspension", "status": true}}}, 200, false, true},
		{map[string]any{"credentialId": id, "action": "reinstate"}, 200, false, false},
		{map[string]any{"credentialId": id, "action": "revoke"}, 200, true, false},
		{map[string]any{"credentialId": id, "action": "reinstate"}, 409, true, false},
	}
	for i, s := range steps {
		code, out, _ := e.post(t, "/credentials/status", e.token, s.body)
		if code != s.code {
			t.Fatalf("step %d: %d %s", i, code, out)
		}
		if bit(rev) != s.rev || bit(sus) != s.sus {
			t.Fatalf("step %d: revoked=%v suspended=%v", i, bit(rev), bit(sus))
		}
	}
	// SD-JWT VC: Token Status List.
	raw, id = e.issue(t, map[string]any{"type": "PersonIdentity", "credentialSubject": person})
	sv := e.verifyJOSE(t, raw)
	if len(sv.Status) != 1 {
		t.Fatalf("SD-JWT status %+v", sv.Status)
	}
	tokStatus := func() uint8 {
		f, _ := statuslist.NewFetcher(statuslist.FetcherOptions{Resolver: e.resolver(), Net: did.NetOptions{AllowHTTP: true, AllowHosts: []string{"127.0.0.1"}}})
		st, _, err := f.TokenStatus(context.Background(), sv.Status[0].URI, sv.Status[0].Index)
		if err != nil {
			t.Fatalf("token list: %v", err)
		}
		return st
	}
	if tokStatus() != 0 {
		t.Fatal("fresh SD-JWT VC not valid")
	}
	if code, out, _ := e.post(t, "/credentials/status", e.token, map[string]any{"credentialId": id, "action": "suspend"}); code != 200 {
		t.Fatalf("suspend: %d %s", code, out)
	}
	if st := tokStatus(); st != statuslist.Suspended {
		t.Fatalf("token status %d after suspension", st)
	}
	code, _, h := e.get(t, strings.TrimPrefix(sv.Status[0].URI, e.srv.URL))
	if code != 200 || !strings.Contains(h.Get("Cache-Control"), "max-age=") || h.Get("Content-Type") != "application/statuslist+jwt" {
		t.Fatalf("token list response %d %v", code, h)
	}
}

func TestRotationKeepsOldKeyUntilExpiry(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	e := start(t, func(c *config) {
		c.Clock = clk.Now
		c.CredentialTypes = append(issuer.DefaultTypes(), issuer.CredentialType{Name: "Short", Validity: issuer.Duration(time.Hour),
			Claims: []issuer.Claim{{Name: "n", Type: "string"}}})
	})
	raw1, _ := e.issue(t, map[string]any{"type": "Short", "credentialSubject": map[string]any{"n": "a"}})
	kid1 := e.verifyJOSE(t, raw1).Kid
	clk.Add(time.Second)
	if _, err := e.svc.Issuer().Rotate(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	raw2, _ := e.issue(t, map[string]any{"type": "Short", "credentialSubject": map[string]any{"n": "b"}})
	kid2 := e.verifyJOSE(t, raw2).Kid
	if kid1 == kid2 {
		t.Fatal("rotation did not change the signing key")
	}
	e.verifyJOSE(t, raw1) // old credential still verifies through the DID document
	_, jwks, _ := e.get(t, "/.well-known/jwks.json")
	if !bytes.Contains(jwks, []byte(kid1)) || !bytes.Contains(jwks, []byte(kid2)) {
		t.Fatalf("JWKS lacks a key: %s", jwks)
	}
	clk.Add(2 * time.Hour) // the first key's only credential has expired
	_, doc, _ := e.get(t, "/.well-known/did.json")
	if bytes.Contains(doc, []byte(kid1)) || !bytes.Contains(doc, []byte(kid2)) {
		t.Fatalf("DID document after expiry: %s", doc)
	}
	// Restart: the kids are stable, the retired key stays retired.
	_ = e.svc.Close()
	svc, err := open(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ks := svc.Issuer().Keys()
	if len(ks) != 2 || ks[0].KID != kid1 || ks[1].KID != kid2 || !ks[1].Current || ks[0].RetiredAt == nil {
		t.Fatalf("keys after restart %+v", ks)
	}
}

func TestSecretRequiredAndChecked(t *testing.T) {
	dir := t.TempDir()
	_, err := open(config{DataDir: dir, Config: issuer.Config{BaseURL: "https://issuer.example"}})
	if !issuer.IsSecretError(err) {
		t.Fatalf("no secret: %v", err)
	}
	svc, err := open(config{DataDir: dir, Config: issuer.Config{BaseURL: "https://issuer.example", Secret: secret}})
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	_, err = open(config{DataDir: dir, Config: issuer.Config{BaseURL: "https://issuer.example", Secret: []byte("another secret of 32 bytes......")}})
	if !issuer.IsSecretError(err) {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestIdentities(t *testing.T) {
	for _, id := range []string{issuer.IdentityKey, issuer.IdentityJWK} {
		for _, alg := range []keys.Alg{keys.EdDSA, keys.ES256} {
			t.Run(id+"/"+string(alg), func(t *testing.T) {
				e := start(t, func(c *config) { c.Identity, c.Alg = id, alg })
				if !strings.HasPrefix(e.svc.DID(), id+":") {
					t.Fatalf("DID %s", e.svc.DID())
				}
				raw, _ := e.issue(t, map[string]any{"type": "BusinessRegistration", "credentialSubject": business})
				e.verifyJOSE(t, raw)
				code, out, _ := e.post(t, "/credentials/issue", e.token, map[string]any{"type": "BusinessRegistration", "credentialSubject": business, "format": "ldp_vc"})
				if alg == keys.ES256 && (code != 400 || !strings.Contains(string(out), "alg_not_allowed")) {
					t.Fatalf("Data Integrity with P-256: %d %s", code, out)
				}
			})
		}
	}
}

func TestRestartNeverReusesIndexes(t *testing.T) {
	e := start(t, func(c *config) { c.Identity = issuer.IdentityKey })
	seen := map[string]bool{}
	ctx := context.Background()
	issue := func(svc *httpapi.Service) {
		for range 100 {
			out, err := svc.Issuer().Issue(ctx, issuer.Request{Type: "PersonIdentity", Subject: person})
			if err != nil {
				t.Fatal(err)
			}
			k := out.Status
			key := fmt.Sprint(k.Set, "/", k.Index)
			if seen[key] {
				t.Fatalf("status entry %d/%d handed out twice", k.Set, k.Index)
			}
			seen[key] = true
		}
	}
	issue(e.svc)
	_ = e.svc.Close()
	svc, err := open(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	issue(svc)
}

func TestScopes(t *testing.T) {
	e := start(t, nil)
	tok, err := e.svc.CreateAPIKey(context.Background(), "hk", "PersonIdentity")
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := e.post(t, "/credentials/issue", tok, map[string]any{"type": "BusinessRegistration", "credentialSubject": business})
	if code != 403 || !strings.Contains(string(out), `"forbidden"`) {
		t.Fatalf("out of scope: %d %s", code, out)
	}
	_, id := e.issue(t, map[string]any{"type": "BusinessRegistration", "credentialSubject": business})
	code, out, _ = e.post(t, "/credentials/status", tok, map[string]any{"credentialId": id, "action": "revoke"})
	if code != 403 {
		t.Fatalf("status change out of scope: %d %s", code, out)
	}
	code, _, _ = e.post(t, "/credentials/issue", tok, map[string]any{"type": "PersonIdentity", "credentialSubject": person})
	if code != 201 {
		t.Fatalf("in scope: %d", code)
	}
	if _, err := e.svc.CreateAPIKey(context.Background(), "x"); err == nil || !errors.Is(err, err) {
		t.Fatal("API key without scope accepted")
	}
}

// The issuance log keeps no subject claims, and no private key is stored in clear.
func TestDataFileHoldsNoClaimsNoClearKeys(t *testing.T) {
	e := start(t, nil)
	for _, body := range []map[string]any{
		{"type": "BusinessRegistration", "credentialSubject": business},
		{"type": "BusinessRegistration", "credentialSubject": business, "format": "ldp_vc"},
		{"type": "PersonIdentity", "credentialSubject": person},
	} {
		e.issue(t, body)
	}
	_ = e.svc.Close()
	b, err := os.ReadFile(filepath.Join(e.dir, boltstore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, claim := range []string{"Lion City Robotics", "201912345K", "Fusionopolis", "Mei Ling", "Kowloon", "1990-02-03"} {
		if bytes.Contains(b, []byte(claim)) {
			t.Errorf("the data file holds the subject claim %q", claim)
		}
	}
	if !bytes.Contains(b, []byte("BusinessRegistration")) {
		t.Error("the issuance log does not hold the credential type")
	}
	if bytes.Contains(b, []byte(`"pkcs8"`)) || bytes.Contains(b, []byte("PRIVATE KEY")) {
		t.Error("a private key is stored in clear")
	}
}
