package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idport/idport/internal/testpki"
	"github.com/idport/idport/pkg/did"
)

// TestCAPool: a CA file's certificate verifies what it issued, through the pool that replaces
// the system's CAs and through the certificates that are added to them; other PEM blocks
// around it are skipped; and a file without certificates is refused naming its flag, never
// taken as "trust nothing extra".
func TestCAPool(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, dir, "import")
	cert := ca.Server(t, "federation", "127.0.0.1").Cert
	caPEM, err := os.ReadFile(ca.File)
	if err != nil {
		t.Fatal(err)
	}
	mixed := filepath.Join(dir, "mixed.pem")
	if err := os.WriteFile(mixed, append([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), caPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{ca.File, mixed} {
		pool, err := caPool("import-ca", file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
			t.Errorf("%s: the CA's server certificate does not verify: %v", filepath.Base(file), err)
		}
		certs, err := caCerts("import-ca", file)
		if err != nil {
			t.Fatal(err)
		}
		if len(certs) != 1 || !certs[0].Equal(ca.Cert) {
			t.Errorf("%s: %d certificates, want the CA", filepath.Base(file), len(certs))
		}
	}
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{junk, filepath.Join(dir, "missing.pem")} {
		if _, err := caPool("import-ca", path); err == nil || !strings.Contains(err.Error(), "--import-ca") {
			t.Errorf("%s: err %v, want a refusal naming --import-ca", filepath.Base(path), err)
		}
		if _, err := caCerts("import-ca", path); err == nil || !strings.Contains(err.Error(), "--import-ca") {
			t.Errorf("%s: err %v, want a refusal naming --import-ca", filepath.Base(path), err)
		}
	}
}

// fetchCAChild makes the test binary run TestFetchCAOnlyAddsRoots's check with the system's
// CAs replaced (SSL_CERT_FILE) by a CA of the test.
const fetchCAChild = "IDPORT_TEST_FETCH_CA_CHILD"

// TestFetchCAOnlyAddsRoots: with --fetch-ca, the verifier's fetches reach an HTTPS host under
// the file's CA and still one under a CA of the system (here one the test installs as the
// system's), so pointing --fetch-ca at a private CA cannot cut off issuers under public ones.
func TestFetchCAOnlyAddsRoots(t *testing.T) {
	if files := os.Getenv(fetchCAChild); files != "" {
		checkFetchRoots(t, strings.Split(files, string(os.PathListSeparator)))
		return
	}
	dir := t.TempDir()
	system, private := testpki.NewCA(t, dir, "system"), testpki.NewCA(t, dir, "private")
	sysLeaf, privLeaf := system.Server(t, "public-issuer", "127.0.0.1"), private.Server(t, "private-issuer", "127.0.0.1")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFetchCAOnlyAddsRoots$", "-test.v")
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+system.File, "SSL_CERT_DIR="+filepath.Join(dir, "none"),
		fetchCAChild+"="+strings.Join([]string{private.File, sysLeaf.CertFile, sysLeaf.KeyFile, privLeaf.CertFile, privLeaf.KeyFile},
			string(os.PathListSeparator)))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// checkFetchRoots starts an HTTPS server for each certificate and key pair of files[1:] and
// fetches from each with the verifier's network options under --fetch-ca files[0].
func checkFetchRoots(t *testing.T, files []string) {
	var f verifierFlags
	fs := flag.NewFlagSet("verifier", flag.ContinueOnError)
	f.register(fs)
	if err := fs.Parse([]string{"--fetch-ca", files[0], "--allow-hosts", "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.fetchRoots, err = f.fetchCACerts(); err != nil {
		t.Fatal(err)
	}
	client := did.SafeHTTPClient(f.fetchNet("fetch", nil))
	for i := 1; i+1 < len(files); i += 2 {
		pair, err := tls.LoadX509KeyPair(files[i], files[i+1])
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
		srv.StartTLS()
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Errorf("a host with %s: %v", filepath.Base(files[i]), err)
		} else {
			resp.Body.Close()
		}
		srv.Close()
	}
}
