package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	"github.com/idport/idport/trustregistry/httpapi"
)

// 'idport admin' logs in with a client certificate and trusts a custom CA, against a real TLS
// registry listener that maps the certificate to an account.
func TestAdminOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "regulator CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	cliKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cliTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "bob-laptop"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	cliDER, _ := x509.CreateCertificate(rand.Reader, cliTmpl, ca, &cliKey.PublicKey, caKey)
	keyDER, _ := x509.MarshalECPrivateKey(cliKey)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certFile, keyFile := write("bob.crt", "CERTIFICATE", cliDER), write("bob.key", "EC PRIVATE KEY", keyDER)

	st, err := boltstore.Open(filepath.Join(dir, "registry.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	svc, err := trustregistry.NewService(trustregistry.Config{Store: st, KeySecret: []byte("0123456789abcdef0123456789abcdef"), Logger: logger,
		CertAccounts: map[string]string{"CN=bob-laptop": "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, _, err := svc.CreateAccount(context.Background(), "bob", []trustregistry.Role{trustregistry.RoleApprover}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(httpapi.New(svc, httpapi.Options{}, logger))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	caFile := write("registry-ca.pem", "CERTIFICATE", srv.Certificate().Raw)

	vars := map[string]string{"IDPORT_REGISTRY": srv.URL}
	out, err := adminCmd(t, vars, "whoami", "--cert", certFile, "--key", keyFile, "--cacert", caFile)
	if err != nil || !strings.HasPrefix(out, "bob") {
		t.Fatalf("whoami over mTLS: %q %v", out, err)
	}
	// Without --cacert the registry's certificate is not trusted; without --cert there is no login.
	if _, err := adminCmd(t, vars, "whoami", "--cert", certFile, "--key", keyFile); err == nil {
		t.Fatal("trusted an unknown CA")
	}
	if _, err := adminCmd(t, vars, "whoami", "--cacert", caFile); err == nil {
		t.Fatal("logged in without a certificate or token")
	}
}

// The proposal file is the API body: a file with an unknown member is refused locally, and the
// same file is accepted by the registry as is.
func TestProposeFileIsTheAPIBody(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"reason":"x","ops":[{"op":"upsert_authority","authority":{"id":"a","asurance":"high"}}]}`), 0o644)
	if _, err := readProposal(bad, "", ""); err == nil || !strings.Contains(err.Error(), "asurance") {
		t.Fatalf("misspelt member: %v", err)
	}
	good := filepath.Join(dir, "good.json")
	body := []byte(`{"reason":"add HK","ttl":"48h","ops":[{"op":"upsert_jurisdiction","jurisdiction":{"code":"HK","name":"Hong Kong"}}]}`)
	os.WriteFile(good, body, 0o644)
	if b, err := readProposal(good, "", ""); err != nil || string(b) != string(body) {
		t.Fatalf("sent as is: %s %v", b, err)
	}
}
