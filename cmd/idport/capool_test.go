package main

import (
	"crypto/x509"
	"encoding/pem"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idport/idport/internal/testpki"
)

// TestCAPool: a CA file's certificate verifies what it issued, a pool built with the system's
// CAs still holds it, and a file without certificates is refused naming its flag, never taken
// as "trust nothing extra".
func TestCAPool(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, dir, "import")
	cert := ca.Server(t, "federation", "127.0.0.1").Cert
	for _, system := range []bool{false, true} {
		pool, err := caPool("import-ca", ca.File, system)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
			t.Errorf("system %v: the CA's server certificate does not verify: %v", system, err)
		}
	}
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{junk, filepath.Join(dir, "missing.pem")} {
		if _, err := caPool("import-ca", path, true); err == nil || !strings.Contains(err.Error(), "--import-ca") {
			t.Errorf("%s: err %v, want a refusal naming --import-ca", filepath.Base(path), err)
		}
	}
}

// fetchCAChild makes the test binary run TestFetchCAOnlyAddsRoots's check with the system's
// CAs replaced (SSL_CERT_FILE) by a CA of the test.
const fetchCAChild = "IDPORT_TEST_FETCH_CA_CHILD"

// TestFetchCAOnlyAddsRoots: with --fetch-ca, the verifier's fetches trust the file's CA and
// still every CA of the system (here one the test installs as the system's), so pointing
// --fetch-ca at a private CA cannot cut off issuers under public ones.
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
		fetchCAChild+"="+strings.Join([]string{private.File, sysLeaf.CertFile, privLeaf.CertFile}, string(os.PathListSeparator)))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// checkFetchRoots builds the verifier's fetch roots from --fetch-ca files[0] and checks that
// the certificates files[1:] verify.
func checkFetchRoots(t *testing.T, files []string) {
	var f verifierFlags
	fs := flag.NewFlagSet("verifier", flag.ContinueOnError)
	f.register(fs)
	if err := fs.Parse([]string{"--fetch-ca", files[0]}); err != nil {
		t.Fatal(err)
	}
	roots, err := f.fetchCAPool()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files[1:] {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots}); err != nil {
			t.Errorf("%s (issued by %s) does not verify: %v", filepath.Base(file), cert.Issuer.CommonName, err)
		}
	}
}
