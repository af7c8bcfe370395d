package main

import (
	"crypto/x509"
	"os"
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
