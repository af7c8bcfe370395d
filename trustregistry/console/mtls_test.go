package console_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	stdlog "log"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/console"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/memstore"
)

// testCA issues client certificates for the mTLS test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idport test regulators CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

// client returns a client certificate for the common name cn, signed by the CA.
func (ca *testCA) client(t *testing.T, cn string, serial int64) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestSignInWithClientCertificate runs the console behind a TLS listener that requires a client
// certificate from the regulators' CA, with certificates mapped to accounts by common name. The
// sign-in page names the certificate's account; alice's certificate with alice's token signs
// in; bob's certificate with alice's token is refused (the certificate and the token must name
// the same account), and so is a certificate mapped to no account.
func TestSignInWithClientCertificate(t *testing.T) {
	ca := newTestCA(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := trustregistry.NewService(trustregistry.Config{Store: memstore.New(), Dev: true, Logger: log,
		CertAccounts: map[string]string{"CN=alice": "alice", "CN=bob": "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	tokens := map[string]string{}
	for name, role := range map[string]trustregistry.Role{"alice": trustregistry.RoleProposer, "bob": trustregistry.RoleApprover} {
		_, tok, err := svc.CreateAccount(context.Background(), name, []trustregistry.Role{role})
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = tok
	}
	srv := httptest.NewUnstartedServer(httpapi.New(svc, httpapi.Options{Console: &console.Config{}}, log))
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	t.Cleanup(srv.Close)

	// browserWith is a cookie-keeping client presenting cert, trusting the test server.
	browserWith := func(cert tls.Certificate) *browser {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
		jar, _ := cookiejar.New(nil)
		return &browser{t: t, base: srv.URL, c: &http.Client{Transport: tr, Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	signIn := func(b *browser, token string) (*http.Response, string) {
		_, page := b.get("/console/signin")
		return b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {token}, "next": {"/console/"}}, srv.URL)
	}

	alice := browserWith(ca.client(t, "alice", 2))
	if _, page := alice.get("/console/signin"); !strings.Contains(page, "<strong>alice</strong>") {
		t.Fatalf("the sign-in page does not name the certificate's account:\n%s", page)
	}
	if res, _ := signIn(alice, tokens["alice"]); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/" {
		t.Fatalf("alice's certificate and token: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, page := alice.get("/console/"); res.StatusCode != http.StatusOK || !strings.Contains(page, `id="whoami">alice<`) {
		t.Fatalf("overview after the mTLS sign-in: %d", res.StatusCode)
	}

	for _, c := range []struct{ name, cn string }{{"bob's certificate with alice's token", "bob"}, {"an unmapped certificate", "mallory"}} {
		b := browserWith(ca.client(t, c.cn, 3))
		res, page := signIn(b, tokens["alice"])
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Sign-in refused") {
			t.Fatalf("%s: %d", c.name, res.StatusCode)
		}
		if res, _ := b.get("/console/"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: the overview answered %d, want a redirect to sign-in", c.name, res.StatusCode)
		}
	}

	// Without a client certificate the TLS handshake itself fails.
	tr := srv.Client().Transport.(*http.Transport).Clone()
	if res, err := (&http.Client{Transport: tr}).Get(srv.URL + "/console/signin"); err == nil {
		res.Body.Close()
		t.Fatal("a client without a certificate got an answer")
	}
}
