package did

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
)

// webFixture is a did:web host on a loopback TLS server.
type webFixture struct {
	srv  *httptest.Server
	host string // 127.0.0.1:port
	hits atomic.Int64
	mu   sync.Mutex
	docs map[string][]byte // path -> body
	ct   string
	// gate, when set, blocks requests until closed.
	gate chan struct{}
}

func newWebFixture(t *testing.T) *webFixture {
	t.Helper()
	f := &webFixture{docs: map[string][]byte{}, ct: "application/did+json"}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		if f.gate != nil {
			select {
			case <-f.gate:
			case <-r.Context().Done():
				return
			}
		}
		f.mu.Lock()
		body, ok := f.docs[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f.ct)
		w.Write(body)
	}))
	t.Cleanup(f.srv.Close)
	u, _ := url.Parse(f.srv.URL)
	f.host = u.Host
	return f
}

func (f *webFixture) put(path string, body []byte) {
	f.mu.Lock()
	f.docs[path] = body
	f.mu.Unlock()
}

func (f *webFixture) roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(f.srv.Certificate())
	return p
}

// resolver allows the fixture's loopback host explicitly.
func (f *webFixture) resolver(o ResolverOptions) *CachingResolver {
	o.RootCAs = f.roots()
	o.AllowHosts = append(o.AllowHosts, "127.0.0.1")
	return NewResolver(o)
}

// publish puts a document with the given keys at did:web:<host>:<path...>.
func (f *webFixture) publish(t testing.TB, ks []*keys.Key, path ...string) (string, *Document) {
	t.Helper()
	did := WebDID(f.host, path...)
	doc, err := NewDocumentErr(did, ks)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := doc.Marshal()
	u, err := WebURL(did)
	if err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(u)
	f.put(pu.Path, b)
	return did, doc
}

func genKeys(t testing.TB) []*keys.Key {
	t.Helper()
	var ks []*keys.Key
	for _, alg := range []keys.Alg{keys.EdDSA, keys.ES256, keys.EdDSA} {
		k, err := keys.Generate(alg)
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	retired := time.Now().Add(-time.Hour)
	ks[2].RetiredAt = &retired
	return ks
}

func TestWebResolveKeys(t *testing.T) {
	f := newWebFixture(t)
	ks := genKeys(t)
	did, _ := f.publish(t, ks)
	pathDID, _ := f.publish(t, ks[:1], "issuers", "sg")
	r := f.resolver(ResolverOptions{})
	ctx := context.Background()
	for _, k := range ks { // current and retired keys all resolve
		pub, alg, err := ResolveKeyFor(ctx, r, did+"#"+k.ID, AssertionMethod)
		if err != nil {
			t.Fatalf("key %s: %v", k.ID, err)
		}
		if alg != k.Alg || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public) {
			t.Fatalf("key %s: got %v %v", k.ID, pub, alg)
		}
		if _, _, err := ResolveKeyFor(ctx, r, did+"#"+k.ID, Authentication); err != nil {
			t.Fatalf("authentication %s: %v", k.ID, err)
		}
	}
	if _, _, err := ResolveKey(ctx, r, pathDID+"#"+ks[0].ID); err != nil {
		t.Fatalf("path did: %v", err)
	}
	for _, bad := range []string{did + "#nope", did, pathDID + "#" + ks[1].ID} {
		if _, _, err := ResolveKey(ctx, r, bad); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("ResolveKey(%q) err = %v, want ErrKeyNotFound", bad, err)
		}
	}
	// One fetch per DID: the rest came from the cache.
	if h := f.hits.Load(); h != 2 {
		t.Errorf("hits = %d, want 2", h)
	}
}

func TestWebResolveFailures(t *testing.T) {
	f := newWebFixture(t)
	ks := genKeys(t)
	did := WebDID(f.host, "x")
	other, _ := NewDocumentErr(WebDID("evil.example"), ks)
	otherJSON, _ := other.Marshal()
	f.put("/x/did.json", otherJSON) // id mismatch
	f.put("/big/did.json", []byte(`{"id":"`+WebDID(f.host, "big")+`","pad":"`+strings.Repeat("a", MaxDocumentBytes)+`"}`))
	f.put("/junk/did.json", []byte(`<html>not json</html>`))
	f.put("/dup/did.json", []byte(`{"id":"`+WebDID(f.host, "dup")+`","verificationMethod":[{"id":"#a","type":"Multikey"},{"id":"#a","type":"Multikey"}]}`))
	r := f.resolver(ResolverOptions{})
	ctx := context.Background()
	tests := []struct {
		did  string
		want error
	}{
		{did, ErrInvalidDocument},
		{WebDID(f.host, "big"), ErrInvalidDocument},
		{WebDID(f.host, "junk"), ErrInvalidDocument},
		{WebDID(f.host, "dup"), ErrInvalidDocument},
		{WebDID(f.host, "missing"), ErrNotFound},
		{WebDID(f.host, ".."), ErrInvalidDID},
	}
	for _, tt := range tests {
		if _, err := r.Resolve(ctx, tt.did); !errors.Is(err, tt.want) {
			t.Errorf("Resolve(%s) err = %v, want %v", tt.did, err, tt.want)
		}
	}
	// Failures are not cached.
	if n := r.CacheLen(); n != 0 {
		t.Errorf("cache holds %d entries after failures", n)
	}
	// A key id whose document is for another DID is refused even from a
	// resolver that does not check.
	if _, _, err := ResolveKey(ctx, liar{other}, did+"#"+ks[0].ID); !errors.Is(err, ErrInvalidDocument) {
		t.Errorf("lying resolver err = %v", err)
	}
}

type liar struct{ doc *Document }

func (l liar) Resolve(context.Context, string) (*Document, error) { return l.doc, nil }

func TestWebContentTypeTolerant(t *testing.T) {
	for _, ct := range []string{"application/json", "application/did+ld+json", "text/plain", "application/octet-stream", ""} {
		f := newWebFixture(t)
		f.ct = ct
		did, _ := f.publish(t, genKeys(t)[:1])
		if _, err := f.resolver(ResolverOptions{}).Resolve(context.Background(), did); err != nil {
			t.Errorf("content type %q: %v", ct, err)
		}
	}
}

func TestWebCacheTTLAndLRU(t *testing.T) {
	f := newWebFixture(t)
	ks := genKeys(t)
	a, _ := f.publish(t, ks, "a")
	b, _ := f.publish(t, ks, "b")
	c, _ := f.publish(t, ks, "c")
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := f.resolver(ResolverOptions{CacheSize: 2, TTL: time.Minute, Now: clock})
	ctx := context.Background()
	resolve := func(d string) {
		t.Helper()
		if _, err := r.Resolve(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	resolve(a)
	resolve(a)
	if h := f.hits.Load(); h != 1 {
		t.Fatalf("hits = %d after a cached resolve", h)
	}
	resolve(b)
	resolve(a) // a is now most recent
	resolve(c) // evicts b
	if h := f.hits.Load(); h != 3 {
		t.Fatalf("hits = %d, want 3", h)
	}
	resolve(a)
	resolve(b) // refetched
	if h := f.hits.Load(); h != 4 {
		t.Fatalf("hits = %d after eviction, want 4", h)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	resolve(b) // expired
	if h := f.hits.Load(); h != 5 {
		t.Fatalf("hits = %d after expiry, want 5", h)
	}
}

// TestWebSingleflight: concurrent misses for one DID make one request.
func TestWebSingleflight(t *testing.T) {
	f := newWebFixture(t)
	did, _ := f.publish(t, genKeys(t))
	f.gate = make(chan struct{})
	r := f.resolver(ResolverOptions{})
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := r.Resolve(context.Background(), did)
			errs <- err
		})
	}
	// Release the request once it has arrived; callers that join later
	// either wait on the same flight or find the cached document.
	for f.hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if h := f.hits.Load(); h != 1 {
		t.Errorf("hits = %d, want 1", h)
	}
}

func TestWebTimeoutAndCancel(t *testing.T) {
	f := newWebFixture(t)
	did, _ := f.publish(t, genKeys(t))
	f.gate = make(chan struct{})
	defer close(f.gate)
	r := f.resolver(ResolverOptions{Timeout: 50 * time.Millisecond})
	if _, err := r.Resolve(context.Background(), did); !errors.Is(err, ErrResolution) {
		t.Errorf("timeout err = %v, want ErrResolution", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Resolve(ctx, did); !errors.Is(err, ErrResolution) || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled err = %v", err)
	}
}

// TestSSRFRefusedByDefault: without explicit configuration the resolver
// refuses loopback (and so any private target) at dial time.
func TestSSRFRefusedByDefault(t *testing.T) {
	f := newWebFixture(t)
	did, _ := f.publish(t, genKeys(t))
	r := NewResolver(ResolverOptions{RootCAs: f.roots()})
	_, err := r.Resolve(context.Background(), did)
	if !errors.Is(err, ErrForbiddenAddress) || !errors.Is(err, ErrResolution) {
		t.Fatalf("err = %v, want ErrForbiddenAddress", err)
	}
	if h := f.hits.Load(); h != 0 {
		t.Fatalf("the server was reached %d times", h)
	}
	// localhost is refused too: the check is on the resolved address.
	lh := WebDID(strings.Replace(f.host, "127.0.0.1", "localhost", 1))
	if _, err := r.Resolve(context.Background(), lh); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("localhost err = %v", err)
	}
	// AllowPrivate opens everything.
	r = NewResolver(ResolverOptions{RootCAs: f.roots(), AllowPrivate: true})
	if _, err := r.Resolve(context.Background(), did); err != nil {
		t.Fatalf("AllowPrivate: %v", err)
	}
}

// TestSSRFRedirect: an allowed host cannot redirect to a host that is not.
func TestSSRFRedirect(t *testing.T) {
	f := newWebFixture(t)
	target := newWebFixture(t)
	did, _ := target.publish(t, genKeys(t))
	tu, _ := WebURL(did)
	redir := httptest.NewServer(http.RedirectHandler(strings.Replace(tu, "127.0.0.1", "localhost", 1), http.StatusFound))
	defer redir.Close()
	c := SafeHTTPClient(NetOptions{AllowHosts: []string{"127.0.0.1"}, AllowHTTP: true, RootCAs: f.roots()})
	_, err := c.Get(redir.URL)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("redirect err = %v, want ErrForbiddenAddress", err)
	}
	// Plain http is refused without AllowHTTP.
	c = SafeHTTPClient(NetOptions{AllowHosts: []string{"127.0.0.1"}})
	if _, err := c.Get(redir.URL); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("http err = %v", err)
	}
}

func TestForbiddenAddr(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1": "loopback", "::1": "loopback", "10.1.2.3": "private", "172.16.0.1": "private",
		"192.168.1.1": "private", "fd00::1": "private", "169.254.169.254": "link-local", "fe80::1": "link-local",
		"0.0.0.0": "unspecified", "::": "unspecified", "224.0.0.1": "link-local", "239.1.2.3": "multicast", "ff02::1": "link-local",
		"ff05::1": "multicast", "100.64.0.1": "reserved", "::ffff:127.0.0.1": "loopback",
		"::ffff:10.0.0.1": "private", "64:ff9b::a00:1": "reserved", "240.0.0.1": "reserved",
		"8.8.8.8": "", "2606:4700::1111": "", "93.184.216.34": "",
	}
	for a, want := range tests {
		if got := ForbiddenAddr(netip.MustParseAddr(a)); got != want {
			t.Errorf("ForbiddenAddr(%s) = %q, want %q", a, got, want)
		}
	}
	if err := guardControl("tcp", "127.0.0.1:443", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("guardControl loopback = %v", err)
	}
	if err := guardControl("tcp", "8.8.8.8:443", nil); err != nil {
		t.Errorf("guardControl public = %v", err)
	}
}

func TestDocumentFindMethod(t *testing.T) {
	const d = "did:web:example.com"
	jwk := `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	doc, err := ParseDocument([]byte(fmt.Sprintf(`{
		"@context": ["https://www.w3.org/ns/did/v1"],
		"id": %q,
		"verificationMethod": [
			{"id": "#k1", "type": "JsonWebKey2020", "controller": %q, "publicKeyJwk": %s},
			{"id": "%s#k2", "type": "Ed25519VerificationKey2020", "controller": %q, "publicKeyMultibase": "z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th"},
			{"id": "%s#k3", "type": "Multikey", "controller": %q, "publicKeyMultibase": "z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th"},
			{"id": "did:web:other.example#k4", "type": "JsonWebKey2020", "controller": %q, "publicKeyJwk": %s}
		],
		"assertionMethod": ["#k1", "%s#k2", {"id": "#k5", "type": "JsonWebKey", "controller": %q, "publicKeyJwk": %s}],
		"authentication": ["#k3", "did:web:other.example#k4"]
	}`, d, d, jwk, d, d, d, d, d, jwk, d, d, jwk)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id      string
		purpose Purpose
		ok      bool
	}{
		{"#k1", AssertionMethod, true},
		{d + "#k1", AssertionMethod, true},
		{d + "#k2", AssertionMethod, true},
		{d + "#k5", AssertionMethod, true},
		{d + "#k3", AssertionMethod, false},
		{d + "#k3", Authentication, true},
		{d + "#k3", AnyPurpose, true},
		{d + "#k1", Authentication, false},
		{"did:web:other.example#k4", Authentication, false}, // not a key of d
		{d + "#k4", AnyPurpose, false},
		{d + "#k9", AnyPurpose, false},
		{d + "#../k1", AnyPurpose, false},
		{d + "/x#k1", AnyPurpose, false},
	}
	for _, tt := range tests {
		vm, err := doc.FindMethod(tt.id, tt.purpose)
		if tt.ok != (err == nil) {
			t.Errorf("FindMethod(%q, %q) = %v, %v", tt.id, tt.purpose, vm, err)
			continue
		}
		if !tt.ok {
			if !errors.Is(err, ErrKeyNotFound) {
				t.Errorf("FindMethod(%q) err = %v, want ErrKeyNotFound", tt.id, err)
			}
			continue
		}
		if _, alg, err := vm.PublicKey(); err != nil || alg != keys.EdDSA {
			t.Errorf("PublicKey(%q) = %v %v", tt.id, alg, err)
		}
	}
	bad := []VerificationMethod{
		{ID: d + "#a", Type: "JsonWebKey2020"},
		{ID: d + "#a", Type: "JsonWebKey2020", PublicKeyJwk: []byte(`{"kty":"oct","k":"AAAA"}`)},
		{ID: d + "#a", Type: "JsonWebKey2020", PublicKeyJwk: []byte(jwk), PublicKeyMultibase: "z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th"},
		{ID: d + "#a", Type: "Ed25519VerificationKey2020", PublicKeyMultibase: "zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv"},
		{ID: d + "#a", Type: "Multikey", PublicKeyMultibase: "u7QE"},
		{ID: d + "#a", Type: "Multikey", PublicKeyJwk: []byte(jwk)},
		{ID: d + "#a", Type: "JsonWebKey2020", PublicKeyMultibase: "z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th"},
	}
	for i, vm := range bad {
		if _, _, err := vm.PublicKey(); !errors.Is(err, ErrUnsupportedKey) {
			t.Errorf("bad[%d] err = %v", i, err)
		}
	}
}

func TestParseDocumentRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not json":      `nope`,
		"array":         `[]`,
		"no id":         `{}`,
		"bad id":        `{"id":"did:web:a/b"}`,
		"trailing":      `{"id":"did:web:a"} {}`,
		"vm no frag":    `{"id":"did:web:a","verificationMethod":[{"id":"did:web:a","type":"Multikey"}]}`,
		"vm path":       `{"id":"did:web:a","verificationMethod":[{"id":"did:web:a/../b#k","type":"Multikey"}]}`,
		"rel number":    `{"id":"did:web:a","assertionMethod":[1]}`,
		"rel bad ref":   `{"id":"did:web:a","assertionMethod":["not a did"]}`,
		"embedded noid": `{"id":"did:web:a","authentication":[{"type":"Multikey"}]}`,
		"too many":      `{"id":"did:web:a","assertionMethod":[` + strings.Repeat(`"#k",`, maxMethods) + `"#k"]}`,
	} {
		if _, err := ParseDocument([]byte(in)); !errors.Is(err, ErrInvalidDocument) {
			t.Errorf("%s: err = %v, want ErrInvalidDocument", name, err)
		}
	}
}

// TestDialGuardOnRealListener checks the guard against a real listener on
// loopback reached through a host name that is not allowed.
func TestDialGuardOnRealListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	c := SafeHTTPClient(NetOptions{AllowHTTP: true, AllowHosts: []string{"example.com"}})
	_, err = c.Get("http://" + ln.Addr().String() + "/")
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("err = %v", err)
	}
}

// TestRefreshOnRotatedKey: a key id missing from a cached document makes
// the resolver fetch the document again, at most once per MinRefresh.
func TestRefreshOnRotatedKey(t *testing.T) {
	f := newWebFixture(t)
	ks := genKeys(t)
	did, _ := f.publish(t, ks[:1])
	clk := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clk }
	r := f.resolver(ResolverOptions{Now: now, TTL: time.Hour})
	ctx := context.Background()
	if _, _, err := ResolveKey(ctx, r, did+"#"+ks[0].ID); err != nil {
		t.Fatal(err)
	}
	f.publish(t, ks[:2]) // rotation: a second key appears
	if _, _, err := ResolveKey(ctx, r, did+"#"+ks[1].ID); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("within MinRefresh: err = %v", err)
	}
	if h := f.hits.Load(); h != 1 {
		t.Fatalf("hits = %d, want 1 (no refetch within MinRefresh)", h)
	}
	mu.Lock()
	clk = clk.Add(31 * time.Second)
	mu.Unlock()
	if _, _, err := ResolveKey(ctx, r, did+"#"+ks[1].ID); err != nil {
		t.Fatalf("after MinRefresh: %v", err)
	}
	for range 3 { // bogus kids do not cause more fetches
		if _, _, err := ResolveKey(ctx, r, did+"#bogus"); !errors.Is(err, ErrKeyNotFound) {
			t.Fatal(err)
		}
	}
	if h := f.hits.Load(); h != 2 {
		t.Fatalf("hits = %d, want 2", h)
	}
}

// TestMaxInFlight: with every fetch slot taken, a fetch waits for one and
// gives up at its timeout without reaching the server.
func TestMaxInFlight(t *testing.T) {
	f := newWebFixture(t)
	b, _ := f.publish(t, genKeys(t)[:1], "b")
	r := f.resolver(ResolverOptions{MaxInFlight: 1, Timeout: 50 * time.Millisecond})
	r.limit.total <- struct{}{} // the only slot is busy
	_, err := r.Resolve(context.Background(), b)
	if !errors.Is(err, ErrResolution) || !strings.Contains(err.Error(), "in flight") {
		t.Fatalf("err = %v", err)
	}
	if h := f.hits.Load(); h != 0 {
		t.Fatalf("hits = %d", h)
	}
	<-r.limit.total
	if _, err := r.Resolve(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}
