package verifier_test

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestDIDWebIssuerRotation: a did:web issuer on a loopback TLS server
// (allowed explicitly), keys resolved once and cached; after a rotation the
// new key is found, the retired key still verifies what it signed, and a
// kid the document does not list is key_not_found.
func TestDIDWebIssuerRotation(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var doc []byte
	hits := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits++
		if r.URL.Path != "/.well-known/did.json" || doc == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/did+json")
		_, _ = w.Write(doc)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	issuerDID := did.WebDID(u.Host)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	k1, _ := keys.Generate(keys.EdDSA)
	k1.ID = "key-1"
	k2, _ := keys.Generate(keys.EdDSA)
	k2.ID = "key-2"
	publish := func(ks ...*keys.Key) {
		b, err := did.NewDocument(issuerDID, ks).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		doc = b
		mu.Unlock()
	}
	publish(k1)

	a := (&testutil.Party{DID: issuerDID}).Authority()
	resolver := did.NewResolver(did.ResolverOptions{RootCAs: roots, AllowHosts: []string{"127.0.0.1"}, MinRefresh: time.Nanosecond})
	v, err := verifier.New(verifier.Config{TrustSource: verifier.NewStaticTrust(1, a), Resolver: resolver, Clock: testutil.Clock})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(k *keys.Key) []byte {
		return []byte(testutil.SignJWS(t, k, map[string]any{"alg": "EdDSA", "kid": issuerDID + "#" + k.ID, "typ": "vc+jwt"},
			testutil.Cred{Issuer: issuerDID, From: testutil.Now.Add(-time.Hour)}.JSON()))
	}
	old := sign(k1)
	for range 3 {
		res, err := v.VerifyCredential(ctx, old)
		if err != nil || !res.Verified {
			t.Fatalf("did:web key-1: %v %+v", err, res.Errors)
		}
	}
	mu.Lock()
	fetches := hits
	mu.Unlock()
	if fetches != 1 {
		t.Fatalf("%d fetches of the DID document for 3 verifications, want 1", fetches)
	}

	publish(k1, k2) // rotation: key-2 added, key-1 kept until its credentials expire
	res, _ := v.VerifyCredential(ctx, sign(k2))
	if !res.Verified {
		t.Fatalf("rotated key-2: %+v", res.Errors)
	}
	if res, _ := v.VerifyCredential(ctx, old); !res.Verified {
		t.Fatalf("retired key-1: %+v", res.Errors)
	}
	k3, _ := keys.Generate(keys.EdDSA)
	k3.ID = "key-3"
	if res, _ := v.VerifyCredential(ctx, sign(k3)); res.Verified || res.FirstError() != verifier.CodeKeyNotFound {
		t.Fatalf("unlisted key-3: %+v", res.Errors)
	}

	// Without the explicit allowance the SSRF guard refuses the loopback host.
	guarded, _ := verifier.New(verifier.Config{TrustSource: verifier.NewStaticTrust(1, a),
		Resolver: did.NewResolver(did.ResolverOptions{RootCAs: roots}), Clock: testutil.Clock})
	if res, _ := guarded.VerifyCredential(ctx, old); res.Verified || res.FirstError() != verifier.CodeKeyNotFound {
		t.Fatalf("loopback not allowed: %+v", res.Errors)
	}
}
