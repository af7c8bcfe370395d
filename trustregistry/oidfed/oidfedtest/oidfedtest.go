// Package oidfedtest builds OpenID Federation test federations: each entity is an httptest
// server serving its entity configuration and, for superiors, a fetch endpoint issuing signed
// subordinate statements. Statements are signed on every request, so a test can change an
// entity (expire a statement, stop serving a subordinate, tamper with a policy) between calls.
package oidfedtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/trustregistry/oidfed"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// Federation is a set of test entities sharing a clock.
type Federation struct {
	t  testing.TB
	mu sync.Mutex
	// Now is the clock statements are issued by (default time.Now).
	Now func() time.Time
	tls bool
}

// New returns an empty federation; its servers close with the test.
func New(t testing.TB) *Federation { return &Federation{t: t, Now: time.Now} }

// NewTLS returns an empty federation whose entities serve HTTPS on loopback (entity ids
// https://127.0.0.1:port, as registry recognitions by framework require); Client and RootCAs
// trust their certificate.
func NewTLS(t testing.TB) *Federation { return &Federation{t: t, Now: time.Now, tls: true} }

// Sub is what a superior says about one subordinate.
type Sub struct {
	Policy   oidfed.Policy
	Metadata map[string]map[string]any
	// Exp, when set, is the statement's exp (default: now + the superior's TTL).
	Exp time.Time
	// Removed makes the fetch endpoint answer 404 for the subordinate.
	Removed bool
}

// Entity is one federation entity with its own server and P-256 key.
type Entity struct {
	f   *Federation
	ID  string
	key jwk.Key
	pub jwk.Key
	// Hints are the authority_hints of the entity configuration.
	Hints []string
	// Metadata is the entity's own metadata (federation_entity gets the fetch endpoint).
	Metadata map[string]map[string]any
	// TrustMarkIssuers is the anchor's trust_mark_issuers.
	TrustMarkIssuers map[string][]string
	// TrustMarks are carried in the entity configuration.
	TrustMarks []oidfed.TrustMarkRef
	// Subordinates maps a subordinate's id to what this entity states about it.
	Subordinates map[string]*Sub
	// TTL is the lifetime of the statements it issues (default 1 h).
	TTL time.Duration
	// ConfigExp, when set, is the exp of its own entity configuration.
	ConfigExp time.Time
	// Typ overrides the JOSE typ of its statements (tests of refusals).
	Typ string
	// Routes serve further paths of the entity's origin (a did:web document, say).
	Routes map[string]http.Handler
	// OnRequest, when set, sees every request the entity's server receives (its headers, say)
	// before it is served, under the federation's lock.
	OnRequest func(r *http.Request)
	srv       *httptest.Server
}

// Entity starts a new entity; its id is its server's URL.
func (f *Federation) Entity() *Entity {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.t.Fatal(err)
	}
	e := &Entity{f: f, Subordinates: map[string]*Sub{}, TTL: time.Hour, Metadata: map[string]map[string]any{}}
	e.key, _ = jwk.FromRaw(priv)
	_ = e.key.Set(jwk.AlgorithmKey, jwa.ES256)
	e.pub, _ = e.key.PublicKey()
	if f.tls {
		e.srv = httptest.NewTLSServer(http.HandlerFunc(e.serve))
	} else {
		e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	}
	f.t.Cleanup(e.srv.Close)
	e.ID = e.srv.URL
	e.register()
	kid, _ := e.pub.Thumbprint(cryptoSHA256)
	_ = e.key.Set(jwk.KeyIDKey, b64(kid))
	_ = e.pub.Set(jwk.KeyIDKey, b64(kid))
	return e
}

// Host returns the host name of the entity's server (for NetOptions.AllowHosts).
func (e *Entity) Host() string {
	u, _ := url.Parse(e.ID)
	return u.Hostname()
}

// Subordinate makes child a subordinate of e with policy, and e an authority hint of child.
func (e *Entity) Subordinate(child *Entity, policy oidfed.Policy) *Sub {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	s := &Sub{Policy: policy}
	e.Subordinates[child.ID] = s
	child.Hints = append(child.Hints, e.ID)
	return s
}

// Set changes the entity under the federation's lock (servers read it concurrently).
func (e *Entity) Set(fn func(e *Entity)) {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	fn(e)
}

// JWKS returns the entity's public federation keys.
func (e *Entity) JWKS() jwk.Set {
	s := jwk.NewSet()
	_ = s.AddKey(e.pub)
	return s
}

// JWKSJSON returns the entity's public federation keys as JSON.
func (e *Entity) JWKSJSON() []byte {
	b, _ := json.Marshal(e.JWKS())
	return b
}

// IssueTrustMark signs a trust mark of type typ about leaf, expiring at exp, and adds it to
// leaf's entity configuration.
func (e *Entity) IssueTrustMark(leaf *Entity, typ string, exp time.Time) {
	now := e.f.Now()
	tm := e.sign(oidfed.TypeTrustMark, map[string]any{"iss": e.ID, "sub": leaf.ID, "trust_mark_type": typ,
		"iat": now.Unix(), "exp": exp.Unix()})
	leaf.Set(func(l *Entity) {
		l.TrustMarks = append(l.TrustMarks, oidfed.TrustMarkRef{Type: typ, TrustMark: tm})
	})
}

// Configuration returns the entity's signed entity configuration.
func (e *Entity) Configuration() string {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	return e.configuration()
}

func (e *Entity) configuration() string {
	now := e.f.Now()
	exp := now.Add(e.TTL)
	if !e.ConfigExp.IsZero() {
		exp = e.ConfigExp
	}
	md := map[string]any{}
	for k, v := range e.Metadata {
		md[k] = v
	}
	fe := map[string]any{}
	for k, v := range e.Metadata["federation_entity"] {
		fe[k] = v
	}
	if len(e.Subordinates) > 0 {
		fe["federation_fetch_endpoint"] = e.ID + "/fetch"
	}
	if len(fe) > 0 {
		md["federation_entity"] = fe
	}
	c := map[string]any{"iss": e.ID, "sub": e.ID, "iat": now.Unix(), "exp": exp.Unix(),
		"jwks": json.RawMessage(e.JWKSJSON()), "metadata": md}
	if len(e.Hints) > 0 {
		c["authority_hints"] = e.Hints
	}
	if len(e.TrustMarkIssuers) > 0 {
		c["trust_mark_issuers"] = e.TrustMarkIssuers
	}
	if len(e.TrustMarks) > 0 {
		c["trust_marks"] = e.TrustMarks
	}
	return e.sign(e.typ(), c)
}

func (e *Entity) typ() string {
	if e.Typ != "" {
		return e.Typ
	}
	return oidfed.TypeEntityStatement
}

func (e *Entity) subordinateStatement(sub string, child *Sub, childKeys json.RawMessage) string {
	now := e.f.Now()
	exp := now.Add(e.TTL)
	if !child.Exp.IsZero() {
		exp = child.Exp
	}
	c := map[string]any{"iss": e.ID, "sub": sub, "iat": now.Unix(), "exp": exp.Unix(), "jwks": childKeys}
	if len(child.Policy) > 0 {
		c["metadata_policy"] = child.Policy
	}
	if len(child.Metadata) > 0 {
		c["metadata"] = child.Metadata
	}
	return e.sign(e.typ(), c)
}

func (e *Entity) sign(typ string, claims map[string]any) string {
	payload, err := json.Marshal(claims)
	if err != nil {
		e.f.t.Fatal(err)
	}
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, typ)
	_ = h.Set(jws.KeyIDKey, e.key.KeyID())
	out, err := jws.Sign(payload, jws.WithKey(jwa.ES256, e.key, jws.WithProtectedHeaders(h)))
	if err != nil {
		e.f.t.Fatal(err)
	}
	return string(out)
}

// registry maps entity ids to entities so a superior can find its subordinates' keys.
var registry sync.Map

func (e *Entity) serve(w http.ResponseWriter, r *http.Request) {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	if e.OnRequest != nil {
		e.OnRequest(r)
	}
	switch r.URL.Path {
	case oidfed.WellKnownPath:
		w.Header().Set("Content-Type", "application/entity-statement+jwt")
		_, _ = w.Write([]byte(e.configuration()))
	case "/fetch":
		sub := r.URL.Query().Get("sub")
		s, ok := e.Subordinates[sub]
		child, known := registry.Load(sub)
		if !ok || s.Removed || !known {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/entity-statement+jwt")
		_, _ = w.Write([]byte(e.subordinateStatement(sub, s, child.(*Entity).JWKSJSON())))
	default:
		if h, ok := e.Routes[r.URL.Path]; ok {
			h.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}
}

// Register makes the entities findable by their superiors' fetch endpoints. Entity calls it.
func (e *Entity) register() { registry.Store(e.ID, e) }

// Client returns an SSRF-guarded client (pkg/did) allowed to reach the test servers on
// loopback, over plain HTTP or (NewTLS) trusting their certificate.
func Client(entities ...*Entity) *http.Client {
	hosts := []string{}
	for _, e := range entities {
		if !strings.Contains(strings.Join(hosts, ","), e.Host()) {
			hosts = append(hosts, e.Host())
		}
	}
	return did.SafeHTTPClient(did.NetOptions{AllowHosts: hosts, AllowHTTP: true, RootCAs: RootCAs(entities...)})
}

// Certificate returns the TLS certificate of the entity's server (nil without TLS).
func (e *Entity) Certificate() *x509.Certificate { return e.srv.Certificate() }

// RootCAs returns a pool trusting the TLS certificates of entities (nil when none serves TLS).
func RootCAs(entities ...*Entity) *x509.CertPool {
	var pool *x509.CertPool
	for _, e := range entities {
		if c := e.srv.Certificate(); c != nil {
			if pool == nil {
				pool = x509.NewCertPool()
			}
			pool.AddCert(c)
		}
	}
	return pool
}
