package httpapi_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/idport/idport/internal/etcdtest"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/issuer/etcdstore"
	"github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/keys"
)

// The nonce endpoint is unauthenticated (OpenID4VCI 1.0 requires it): these tests hold that
// asking for c_nonces writes nothing, that a c_nonce not minted by this issuer, or expired, is
// refused without touching the store, and that a genuine one is consumed once, across
// restarts and across issuer processes sharing one store.

// usedNonces counts the consumed-c_nonce records in the issuer's bbolt file.
func (s *vciServer) usedNonces(t testing.TB) int {
	t.Helper()
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("oid4vci_used_nonces")); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n
}

// storeActivity is the bbolt file's count of transactions begun and of pages written.
func (s *vciServer) storeActivity() (txs int64, writes int64) {
	st := s.db.Stats()
	return int64(st.TxN), st.TxStats.GetWrite()
}

// tokenFor makes an offer of every format and redeems it: the access token and the
// configurations it may fetch.
func (s *vciServer) tokenFor(t testing.TB) (string, []string) {
	t.Helper()
	o := s.offer(t, nil, 0)
	st, tok := s.token(t, s.preAuthCode(t, o), "")
	if st != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d %+v", st, tok)
	}
	return tok.AccessToken, o.Configurations
}

func TestOpenID4VCINonceRequestsWriteNothing(t *testing.T) {
	s := newVCIServer(t)
	_, writes := s.storeActivity()
	seen := map[string]bool{}
	for range 1000 {
		n := s.nonce(t)
		if seen[n] {
			t.Fatalf("c_nonce %q issued twice", n)
		}
		seen[n] = true
	}
	if _, after := s.storeActivity(); after != writes {
		t.Fatalf("1,000 nonce requests wrote %d pages to the store, want 0", after-writes)
	}
	if got := s.usedNonces(t); got != 0 {
		t.Fatalf("nonce records after 1,000 nonce requests: %d, want 0", got)
	}
}

func TestOpenID4VCIForgedNonceRefusedWithoutStoreAccess(t *testing.T) {
	s := newVCIServer(t)
	other := newVCIServer(t, func(c *issuer.Config) { c.Secret = []byte("fedcba9876543210fedcba9876543210") })
	token, confs := s.tokenFor(t)
	holder := newKey(t, keys.ES256)
	good := s.nonce(t)

	// flip changes one bit of the character at i (staying in the base64url alphabet).
	flip := func(n string, i int) string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		j := strings.IndexByte(alphabet, n[i]) ^ 1
		return n[:i] + string(alphabet[j]) + n[i+1:]
	}
	forged := map[string]string{
		"bit flip in the random bytes": flip(good, 20),
		"bit flip in the expiry":       flip(good, 5),
		"bit flip in the MAC":          flip(good, len(good)-3),
		"other spelling of the nonce":  flip(good, len(good)-1), // the unused low bits of the last character
		"another issuer's nonce":       other.nonce(t),
		"a random string":              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"too long":                     good + "A",
		"too short":                    good[:len(good)-1],
	}
	for name, n := range forged {
		t.Run(name, func(t *testing.T) {
			if n == good {
				t.Fatal("the forged nonce is the genuine one")
			}
			txs, writes := s.storeActivity()
			st, res := s.credential(t, token, confs[0], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n}))
			if st != 400 || res.Error != "invalid_nonce" {
				t.Fatalf("%d %+v, want 400 invalid_nonce", st, res)
			}
			if t2, w2 := s.storeActivity(); t2 != txs || w2 != writes {
				t.Fatalf("a forged nonce cost %d store transactions and %d page writes, want none", t2-txs, w2-writes)
			}
		})
	}
	// An expired nonce of this issuer: refused by its MAC'd expiry, before any store access.
	s.advance(openid4vci.DefaultNonceTTL + time.Second)
	txs, writes := s.storeActivity()
	if st, res := s.credential(t, token, confs[0], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": good})); st != 400 || res.Error != "invalid_nonce" {
		t.Fatalf("expired nonce: %d %+v, want 400 invalid_nonce", st, res)
	}
	if t2, w2 := s.storeActivity(); t2 != txs || w2 != writes {
		t.Fatalf("an expired nonce cost %d store transactions and %d page writes, want none", t2-txs, w2-writes)
	}
	if got := s.usedNonces(t); got != 0 {
		t.Fatalf("nonce records after refused requests: %d, want 0", got)
	}
}

func TestOpenID4VCINonceSingleUse(t *testing.T) {
	s := newVCIServer(t)
	token, confs := s.tokenFor(t)
	holder := newKey(t, keys.EdDSA)
	n := s.nonce(t)
	if st, res := s.credential(t, token, confs[0], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n})); st != 200 {
		t.Fatalf("first use: %d %+v", st, res)
	}
	if got := s.usedNonces(t); got != 1 {
		t.Fatalf("nonce records after one credential request: %d, want 1", got)
	}
	// The replay asks for another configuration, so only the nonce can refuse it.
	if st, res := s.credential(t, token, confs[1], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n})); st != 400 || res.Error != "invalid_nonce" {
		t.Fatalf("nonce used twice: %d %+v, want 400 invalid_nonce", st, res)
	}
	// A fresh nonce serves that configuration.
	if st, res := s.credential(t, token, confs[1], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": s.nonce(t)})); st != 200 {
		t.Fatalf("fresh nonce: %d %+v", st, res)
	}
	// Records of used nonces go once they expire: the nonce stays refused by its expiry.
	s.advance(openid4vci.DefaultNonceTTL + time.Second)
	if _, err := s.svc.OpenID4VCI().Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.usedNonces(t); got != 0 {
		t.Fatalf("nonce records after the purge: %d, want 0", got)
	}
}

// swapHandler serves through whichever handler was set last (an issuer restarted on one
// address).
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := s.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// listen starts serving h on a loopback address and returns its URL.
func listen(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func startService(t *testing.T, st issuer.Store, baseURL string) *httpapi.Service {
	t.Helper()
	svc, err := httpapi.NewService(context.Background(), httpapi.ServiceConfig{Logger: slog.New(slog.DiscardHandler),
		Issuer: issuer.Config{Store: st, BaseURL: baseURL, Secret: []byte("0123456789abcdef0123456789abcdef")}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestOpenID4VCINonceSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), boltstore.DBFile)
	open := func() issuer.Store {
		st, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	h := &swapHandler{}
	s := &vciServer{URL: listen(t, h)}
	st := open()
	s.svc, s.db = startService(t, st, s.URL), st.(*boltstore.Store).DB()
	h.set(s.svc.Handler())
	var err error
	if s.APIKey, err = s.svc.CreateAPIKey(context.Background(), "portal", "*"); err != nil {
		t.Fatal(err)
	}
	token, confs := s.tokenFor(t)
	holder := newKey(t, keys.EdDSA)
	n := s.nonce(t)
	used := s.nonce(t)
	if st, res := s.credential(t, token, confs[0], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": used})); st != 200 {
		t.Fatalf("before the restart: %d %+v", st, res)
	}

	if err := s.svc.Close(); err != nil {
		t.Fatal(err)
	}
	st = open()
	s.svc, s.db = startService(t, st, s.URL), st.(*boltstore.Store).DB()
	t.Cleanup(func() { _ = s.svc.Close() })
	h.set(s.svc.Handler())

	if st, res := s.credential(t, token, confs[1], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": used})); st != 400 || res.Error != "invalid_nonce" {
		t.Fatalf("a nonce used before the restart, after it: %d %+v, want 400 invalid_nonce", st, res)
	}
	if st, res := s.credential(t, token, confs[1], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n})); st != 200 {
		t.Fatalf("a nonce issued before the restart, after it: %d %+v", st, res)
	}
}

func TestOpenID4VCINonceSharedAcrossIssuers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded etcd")
	}
	etcd, err := etcdtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	openStore := func() issuer.Store {
		st, err := etcdstore.Open(context.Background(), etcdstore.Config{Endpoints: []string{etcd.Endpoint}, Prefix: "/idport-nonce-test/"})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// Two processes of one issuer (one base URL, one key secret) behind a load balancer.
	ha, hb := &swapHandler{}, &swapHandler{}
	a := &vciServer{URL: listen(t, ha)}
	b := &vciServer{URL: listen(t, hb)}
	a.svc = startService(t, openStore(), a.URL)
	t.Cleanup(func() { _ = a.svc.Close() })
	if a.APIKey, err = a.svc.CreateAPIKey(context.Background(), "portal", "*"); err != nil {
		t.Fatal(err)
	}
	b.svc = startService(t, openStore(), a.URL) // after the API key, which B loads at start
	t.Cleanup(func() { _ = b.svc.Close() })
	ha.set(a.svc.Handler())
	hb.set(b.svc.Handler())
	token, confs := a.tokenFor(t)
	holder := newKey(t, keys.EdDSA)
	claims := func(n string) map[string]any { return map[string]any{"aud": a.URL, "nonce": n} }

	fromA := a.nonce(t)
	if st, res := b.credential(t, token, confs[0], proof(t, holder, nil, claims(fromA))); st != 200 {
		t.Fatalf("A's nonce at B: %d %+v", st, res)
	}
	if st, res := a.credential(t, token, confs[1], proof(t, holder, nil, claims(fromA))); st != 400 || res.Error != "invalid_nonce" {
		t.Fatalf("A's nonce used at B, replayed at A: %d %+v, want 400 invalid_nonce", st, res)
	}
	fromB := b.nonce(t)
	if st, res := a.credential(t, token, confs[1], proof(t, holder, nil, claims(fromB))); st != 200 {
		t.Fatalf("B's nonce at A: %d %+v", st, res)
	}
	if st, res := b.credential(t, token, confs[2], proof(t, holder, nil, claims(fromB))); st != 400 || res.Error != "invalid_nonce" {
		t.Fatalf("B's nonce used at A, replayed at B: %d %+v, want 400 invalid_nonce", st, res)
	}
}
