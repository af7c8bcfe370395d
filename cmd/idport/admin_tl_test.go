package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/etsitl"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/memstore"
)

func TestAdminImportTrustedList(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := trustregistry.NewService(trustregistry.Config{Store: memstore.New(), KeySecret: []byte("0123456789abcdef0123456789abcdef"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{}, logger))
	t.Cleanup(func() { srv.Close(); svc.Close() })
	_, alice, _ := svc.CreateAccount(ctx, "alice", []trustregistry.Role{trustregistry.RoleProposer})
	_, bob, _ := svc.CreateAccount(ctx, "bob", []trustregistry.Role{trustregistry.RoleApprover})
	if _, err := demoseed.Seed(ctx, adminclient.New(srv.URL, alice), adminclient.New(srv.URL, bob), "did:web:registrar.example.sg", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "IMDA list signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	cert, _ := x509.ParseCertificate(der)
	l := &etsitl.TrustedList{SequenceNumber: 3, Territory: "SG", Operator: "IMDA", IssuedAt: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour),
		Providers: []etsitl.Provider{{Name: "ACRA Trust Services", Services: []etsitl.Service{{Type: "http://uri.etsi.org/TrstSvc/Svctype/EDS/Q",
			Name: "ACRA seal", Status: etsitl.StatusGranted, Certificates: []*x509.Certificate{cert}}}}}}
	doc := etsitl.Build(l)
	if err := etsitl.Sign(doc.Root(), key, cert, time.Now()); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	doc.WriteTo(&b)
	tl, pin := filepath.Join(dir, "TL-SG.xml"), filepath.Join(dir, "pinned.pem")
	os.WriteFile(tl, b.Bytes(), 0o644)
	os.WriteFile(pin, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)

	as := map[string]string{"IDPORT_REGISTRY": srv.URL, "IDPORT_TOKEN": alice}
	if _, err := adminCmd(t, as, "import", "trusted-list", "--file", tl, "--scheme", demoseed.ForeignScheme); err == nil {
		t.Fatal("import without pins and reason was accepted")
	}
	out, err := adminCmd(t, as, "import", "trusted-list", "--file", tl, "--signer-cert", pin, "--scheme", demoseed.ForeignScheme,
		"--credential-type", demoseed.Type, "--assurance", "high", "--service-type", "http://uri.etsi.org/TrstSvc/Svctype/EDS/Q", "--reason", "SG list #3")
	if err != nil || !strings.Contains(out, "+ key ") || !strings.Contains(out, "ACRA Trust Services / ACRA seal") || !strings.Contains(out, "proposed p-") {
		t.Fatalf("import: %q %v", out, err)
	}
	big := filepath.Join(dir, "big.xml")
	os.WriteFile(big, make([]byte, 50<<20), 0o644)
	if _, err := adminCmd(t, as, "import", "trusted-list", "--file", big, "--signer-cert", pin, "--scheme", demoseed.ForeignScheme,
		"--credential-type", demoseed.Type, "--reason", "x"); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Fatalf("50 MB file: %v", err)
	}
}
