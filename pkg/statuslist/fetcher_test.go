package statuslist

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// listServer publishes status lists on a loopback TLS server.
type listServer struct {
	srv  *httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	body map[string]string // path -> body
	code map[string]int
	gate chan struct{}
}

func newListServer(t testing.TB) *listServer {
	s := &listServer{body: map[string]string{}, code: map[string]int{}}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.gate != nil {
			<-s.gate
		}
		s.mu.Lock()
		b, ok := s.body[r.URL.Path]
		code := s.code[r.URL.Path]
		s.mu.Unlock()
		if code != 0 {
			w.WriteHeader(code)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vc+jwt")
		w.Write([]byte(b))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *listServer) url(path string) string { return s.srv.URL + path }

func (s *listServer) put(path, body string) {
	s.mu.Lock()
	s.body[path] = body
	s.code[path] = 0
	s.mu.Unlock()
}

func (s *listServer) fail(path string, code int) {
	s.mu.Lock()
	s.code[path] = code
	s.mu.Unlock()
}

func (s *listServer) roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.srv.Certificate())
	return p
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// issuer is a did:key issuer with its signing key.
type issuer struct {
	key *keys.Key
	did string
}

func newIssuer(t testing.TB, alg keys.Alg) issuer {
	k, err := keys.Generate(alg)
	if err != nil {
		t.Fatal(err)
	}
	d, kid, err := did.KeyDID(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	k.ID = kid
	return issuer{key: k, did: d}
}

func (s *listServer) fetcher(t testing.TB, o FetcherOptions) *Fetcher {
	o.Net.AllowHosts = []string{"127.0.0.1"}
	o.Net.RootCAs = s.roots()
	if o.Keys == nil && o.Resolver == nil {
		o.Resolver = did.NewResolver(did.ResolverOptions{})
	}
	f, err := NewFetcher(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFetchBitstring(t *testing.T) {
	s := newListServer(t)
	for _, alg := range keys.Allowed {
		iss := newIssuer(t, alg)
		path := "/status/" + string(alg)
		list, _ := NewBitstring(MinEntries)
		list.Set(42, true)
		list.Set(MinEntries-1, true)
		jwt, err := SignBitstringCredential(iss.key, iss.did, s.url(path), PurposeRevocation, list, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.put(path, jwt)
		clk := &clock{t: time.Now()}
		f := s.fetcher(t, FetcherOptions{MaxTTL: time.Minute, Now: clk.now})
		ctx := context.Background()
		before := s.hits.Load()
		for _, c := range []struct {
			i    int
			want bool
		}{{42, true}, {MinEntries - 1, true}, {0, false}, {43, false}} {
			got, m, err := f.BitstringStatus(ctx, s.url(path), PurposeRevocation, c.i)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%s: status[%d] = %v", alg, c.i, got)
			}
			if m.Issuer != iss.did || m.Kid != iss.key.ID || m.Age != 0 || m.Stale {
				t.Errorf("meta = %+v", m)
			}
		}
		clk.add(30 * time.Second)
		_, m, err := f.BitstringStatus(ctx, s.url(path), PurposeRevocation, 42)
		if err != nil || m.Age != 30*time.Second {
			t.Fatalf("age = %v, %v", m.Age, err)
		}
		if h := s.hits.Load() - before; h != 1 {
			t.Fatalf("hits = %d, want 1 (cached)", h)
		}
		clk.add(31 * time.Second) // past MaxTTL
		if _, m, err = f.BitstringStatus(ctx, s.url(path), PurposeRevocation, 42); err != nil || m.Age != 0 {
			t.Fatalf("after expiry: age %v, %v", m.Age, err)
		}
		if h := s.hits.Load() - before; h != 2 {
			t.Fatalf("hits = %d, want 2 (refetched)", h)
		}
		if _, _, err := f.BitstringStatus(ctx, s.url(path), PurposeSuspension, 42); !errors.Is(err, ErrInvalidList) {
			t.Errorf("purpose mismatch err = %v", err)
		}
		if _, _, err := f.BitstringStatus(ctx, s.url(path), PurposeRevocation, MinEntries); !errors.Is(err, ErrInvalidList) {
			t.Errorf("index out of range err = %v", err)
		}
	}
}

func TestFetchToken(t *testing.T) {
	s := newListServer(t)
	iss := newIssuer(t, keys.EdDSA)
	list, _ := NewTokenList(MinEntries, 2)
	list.Set(1, Invalid)
	list.Set(2, Suspended)
	tok, err := SignTokenList(iss.key, iss.did, s.url("/tsl/1"), list, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s.put("/tsl/1", tok)
	clk := &clock{t: time.Now()}
	f := s.fetcher(t, FetcherOptions{Now: clk.now})
	ctx := context.Background()
	for i, want := range []uint8{Valid, Invalid, Suspended, Valid} {
		got, m, err := f.TokenStatus(ctx, s.url("/tsl/1"), i)
		if err != nil || got != want {
			t.Fatalf("status[%d] = %d, %v", i, got, err)
		}
		// The ttl claim (10 s) bounds the cache, below MaxTTL (5 min).
		if m.Expires.Sub(m.FetchedAt) != 10*time.Second || m.Issuer != iss.did {
			t.Fatalf("meta = %+v", m)
		}
	}
	clk.add(10 * time.Second)
	if _, _, err := f.TokenStatus(ctx, s.url("/tsl/1"), 0); err != nil {
		t.Fatal(err)
	}
	if h := s.hits.Load(); h != 2 {
		t.Errorf("hits = %d, want 2", h)
	}
}

func TestFetchRejects(t *testing.T) {
	s := newListServer(t)
	iss := newIssuer(t, keys.EdDSA)
	other := newIssuer(t, keys.EdDSA)
	list, _ := NewBitstring(MinEntries)
	tl, _ := NewTokenList(MinEntries, 1)
	ctx := context.Background()
	sign := func(k *keys.Key, issuer, id string, validity time.Duration) string {
		jwt, err := SignBitstringCredential(k, issuer, id, PurposeRevocation, list, validity)
		if err != nil {
			t.Fatal(err)
		}
		return jwt
	}
	good := sign(iss.key, iss.did, s.url("/tampered"), time.Hour)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	// A key that exists but belongs to someone else.
	foreign := *other.key
	unsignedCred, _ := BitstringCredential(BitstringParams{Issuer: iss.did, ID: s.url("/unsigned"), Purpose: PurposeRevocation, List: list})
	unsigned, _ := json.Marshal(unsignedCred)
	past := time.Now().Add(-2 * time.Hour)
	expiredCred, _ := BitstringCredential(BitstringParams{Issuer: iss.did, ID: s.url("/expired"), Purpose: PurposeRevocation, List: list, ValidFrom: past, ValidUntil: past.Add(time.Hour)})
	expiredPayload, _ := json.Marshal(expiredCred)
	expired, _ := signCompact(iss.key, "vc+jwt", "vc", iss.key.ID, expiredPayload)
	wrongSub, _ := SignTokenList(iss.key, iss.did, "https://elsewhere.example/tsl", tl, 0)
	wrongTyp, _ := signCompact(iss.key, "JWT", "", iss.key.ID, []byte(`{"sub":"`+s.url("/wrongtyp")+`","iat":1,"status_list":{"bits":1,"lst":"eNrbuRgAAhcBXQ"}}`))
	none := "eyJhbGciOiJub25lIn0." + strings.Split(good, ".")[1] + "."
	s.put("/tampered", tampered)
	s.put("/foreign", sign(&foreign, iss.did, s.url("/foreign"), time.Hour))
	s.put("/idmismatch", sign(iss.key, iss.did, s.url("/other"), time.Hour))
	s.put("/unsigned", string(unsigned))
	s.put("/expired", expired)
	s.put("/none", none)
	s.put("/garbage", "not a list")
	s.put("/wrongsub", wrongSub)
	s.put("/wrongtyp", wrongTyp)
	s.fail("/down", http.StatusInternalServerError)
	f := s.fetcher(t, FetcherOptions{})
	tests := []struct {
		path  string
		token bool
		want  error
	}{
		{"/tampered", false, ErrInvalidList},
		{"/foreign", false, ErrInvalidList},
		{"/idmismatch", false, ErrInvalidList},
		{"/unsigned", false, ErrInvalidList},
		{"/expired", false, ErrInvalidList},
		{"/none", false, ErrInvalidList},
		{"/garbage", false, ErrInvalidList},
		{"/wrongsub", true, ErrInvalidList},
		{"/wrongtyp", true, ErrInvalidList},
		{"/tampered", true, ErrInvalidList},
		{"/down", false, ErrUnavailable},
		{"/missing", true, ErrUnavailable},
	}
	for _, tt := range tests {
		var err error
		if tt.token {
			_, _, err = f.TokenList(ctx, s.url(tt.path))
		} else {
			_, _, err = f.Bitstring(ctx, s.url(tt.path))
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s (token %v): err = %v, want %v", tt.path, tt.token, err, tt.want)
		}
		t.Logf("%s: %v", tt.path, err)
	}
	if _, _, err := f.Bitstring(ctx, "ftp://127.0.0.1/x"); !errors.Is(err, ErrInvalidList) {
		t.Errorf("ftp URL err = %v", err)
	}
}

func TestFetchDataIntegrityHookAndEnvelope(t *testing.T) {
	s := newListServer(t)
	iss := newIssuer(t, keys.ES256)
	list, _ := NewBitstring(MinEntries)
	list.Set(7, true)
	cred, _ := BitstringCredential(BitstringParams{Issuer: iss.did, ID: s.url("/di"), Purpose: PurposeSuspension, List: list})
	credJSON, _ := json.Marshal(cred)
	s.put("/di", string(credJSON))
	jwt, _ := SignBitstringCredential(iss.key, iss.did, s.url("/env"), PurposeSuspension, list, 0)
	s.put("/env", string(vc.Envelope(vc.MediaTypeVCJWT, jwt)))
	var checked atomic.Int64
	f := s.fetcher(t, FetcherOptions{VerifyDataIntegrity: func(_ context.Context, b []byte) error {
		checked.Add(1)
		return nil
	}})
	for _, p := range []string{"/di", "/env"} {
		v, _, err := f.BitstringStatus(context.Background(), s.url(p), PurposeSuspension, 7)
		if err != nil || !v {
			t.Errorf("%s: %v %v", p, v, err)
		}
	}
	if checked.Load() != 1 {
		t.Errorf("Data Integrity hook called %d times", checked.Load())
	}
}

func TestFetchKeyFunc(t *testing.T) {
	s := newListServer(t)
	iss := newIssuer(t, keys.EdDSA)
	iss.key.ID = "list-key-1" // a JWKS kid, issuer not a DID
	tl, _ := NewTokenList(MinEntries, 1)
	tok, _ := SignTokenList(iss.key, "https://issuer.example", s.url("/t"), tl, 0)
	s.put("/t", tok)
	var asked []string
	f := s.fetcher(t, FetcherOptions{Keys: func(_ context.Context, kid string) (crypto.PublicKey, error) {
		asked = append(asked, kid)
		if kid == "list-key-1" {
			return iss.key.Public, nil
		}
		return nil, errors.New("unknown kid")
	}})
	if _, m, err := f.TokenList(context.Background(), s.url("/t")); err != nil || m.Issuer != "https://issuer.example" {
		t.Fatalf("TokenList: %+v %v", m, err)
	}
	if len(asked) != 1 || asked[0] != "list-key-1" {
		t.Errorf("asked %v", asked)
	}
}

func TestFetchStaleIfError(t *testing.T) {
	s := newListServer(t)
	iss := newIssuer(t, keys.EdDSA)
	list, _ := NewBitstring(MinEntries)
	jwt, _ := SignBitstringCredential(iss.key, iss.did, s.url("/l"), PurposeRevocation, list, time.Hour)
	s.put("/l", jwt)
	clk := &clock{t: time.Now()}
	f := s.fetcher(t, FetcherOptions{MaxTTL: time.Minute, StaleIfError: time.Minute, Now: clk.now})
	ctx := context.Background()
	if _, _, err := f.Bitstring(ctx, s.url("/l")); err != nil {
		t.Fatal(err)
	}
	s.fail("/l", http.StatusServiceUnavailable)
	clk.add(90 * time.Second)
	_, m, err := f.Bitstring(ctx, s.url("/l"))
	if err != nil || !m.Stale || m.Age != 90*time.Second {
		t.Fatalf("stale: %+v %v", m, err)
	}
	clk.add(31 * time.Second) // past the stale window
	if _, _, err := f.Bitstring(ctx, s.url("/l")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("past stale window err = %v", err)
	}
}

func TestFetchSingleflight(t *testing.T) {
	s := newListServer(t)
	iss := newIssuer(t, keys.EdDSA)
	list, _ := NewBitstring(MinEntries)
	jwt, _ := SignBitstringCredential(iss.key, iss.did, s.url("/l"), PurposeRevocation, list, time.Hour)
	s.put("/l", jwt)
	s.gate = make(chan struct{})
	f := s.fetcher(t, FetcherOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, _, err := f.Bitstring(context.Background(), s.url("/l"))
			errs <- err
		})
	}
	for s.hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(s.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if h := s.hits.Load(); h != 1 {
		t.Errorf("hits = %d, want 1", h)
	}
}

// TestFetchSSRF: a fetcher without explicit configuration refuses loopback.
func TestFetchSSRF(t *testing.T) {
	s := newListServer(t)
	f, err := NewFetcher(FetcherOptions{Resolver: did.NewResolver(did.ResolverOptions{}), Net: did.NetOptions{RootCAs: s.roots()}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Bitstring(context.Background(), s.url("/l"))
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, did.ErrForbiddenAddress) {
		t.Fatalf("err = %v", err)
	}
	if s.hits.Load() != 0 {
		t.Fatal("server reached")
	}
	if _, err := NewFetcher(FetcherOptions{}); err == nil {
		t.Fatal("a fetcher without keys was built")
	}
}

func TestMaxAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": 0, "max-age=60": time.Minute, "public, Max-Age=5": 5 * time.Second, "max-age=x": 0, "no-store": 0,
	} {
		if got := maxAge(in); got != want {
			t.Errorf("maxAge(%q) = %v", in, got)
		}
	}
}

// TestFetchDIDWebIssuer: the list issuer is a did:web served by the same
// loopback server; the Fetcher resolves the signing key through the
// resolver, and a list signed by a key rotated in after the DID document
// was cached still verifies (the resolver refetches the document).
func TestFetchDIDWebIssuer(t *testing.T) {
	s := newListServer(t)
	host := strings.TrimPrefix(s.srv.URL, "https://")
	issuerDID := did.WebDID(host)
	k1, _ := keys.Generate(keys.EdDSA)
	k2, _ := keys.Generate(keys.ES256)
	publish := func(ks ...*keys.Key) {
		doc, err := did.NewDocumentErr(issuerDID, ks)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := doc.Marshal()
		s.put("/.well-known/did.json", string(b))
	}
	publish(k1)
	clk := &clock{t: time.Now()}
	r := did.NewResolver(did.ResolverOptions{AllowHosts: []string{"127.0.0.1"}, RootCAs: s.roots(), Now: clk.now, TTL: time.Hour})
	f := s.fetcher(t, FetcherOptions{Resolver: r, Now: clk.now, MaxTTL: time.Minute})
	list, _ := NewBitstring(MinEntries)
	list.Set(5, true)
	jwt, _ := SignBitstringCredential(k1, issuerDID, s.url("/l"), PurposeRevocation, list, time.Hour)
	s.put("/l", jwt)
	ctx := context.Background()
	v, m, err := f.BitstringStatus(ctx, s.url("/l"), PurposeRevocation, 5)
	if err != nil || !v || m.Kid != issuerDID+"#"+k1.ID {
		t.Fatalf("k1: %v %+v %v", v, m, err)
	}
	// Rotation: k2 joins the document, the list is re-signed with k2.
	publish(k1, k2)
	list.Set(6, true)
	jwt, _ = SignBitstringCredential(k2, issuerDID, s.url("/l"), PurposeRevocation, list, time.Hour)
	s.put("/l", jwt)
	clk.add(time.Minute) // the list expires from the cache; the DID document does not
	v, m, err = f.BitstringStatus(ctx, s.url("/l"), PurposeRevocation, 6)
	if err != nil || !v || m.Kid != issuerDID+"#"+k2.ID {
		t.Fatalf("k2: %v %+v %v", v, m, err)
	}
	// A key that is not in the issuer's document is refused.
	k3, _ := keys.Generate(keys.EdDSA)
	jwt, _ = SignBitstringCredential(k3, issuerDID, s.url("/l3"), PurposeRevocation, list, time.Hour)
	s.put("/l3", jwt)
	if _, _, err := f.Bitstring(ctx, s.url("/l3")); !errors.Is(err, ErrInvalidList) || !errors.Is(err, did.ErrKeyNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
}

// TestFetchErrorTTL: a failed fetch is remembered for ErrorTTL, so lookups
// of a list that is down fail at once instead of each waiting on it.
func TestFetchErrorTTL(t *testing.T) {
	s := newListServer(t)
	iss := newIssuer(t, keys.EdDSA)
	list, _ := NewBitstring(MinEntries)
	jwt, _ := SignBitstringCredential(iss.key, iss.did, s.url("/l"), PurposeRevocation, list, time.Hour)
	s.fail("/l", http.StatusBadGateway)
	clk := &clock{t: time.Now()}
	f := s.fetcher(t, FetcherOptions{Now: clk.now, ErrorTTL: 10 * time.Second})
	ctx := context.Background()
	for range 3 {
		if _, _, err := f.Bitstring(ctx, s.url("/l")); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
	}
	if h := s.hits.Load(); h != 1 {
		t.Fatalf("hits = %d, want 1", h)
	}
	s.put("/l", jwt) // back up
	clk.add(10 * time.Second)
	if _, _, err := f.Bitstring(ctx, s.url("/l")); err != nil {
		t.Fatal(err)
	}
	if h := s.hits.Load(); h != 2 {
		t.Fatalf("hits = %d, want 2", h)
	}
}
