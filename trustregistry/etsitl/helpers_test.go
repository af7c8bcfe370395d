package etsitl

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testCert returns a self-signed certificate for signer, valid around testNow.
func testCert(t testing.TB, signer crypto.Signer, cn string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, Country: []string{"SG"}},
		NotBefore: testNow.Add(-365 * 24 * time.Hour), NotAfter: testNow.Add(5 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func p256(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// sampleList is a Singapore list: two providers, a granted issuing service each, one
// withdrawn service, certificates of P-256 and Ed25519 keys.
func sampleList(t testing.TB, services int) *TrustedList {
	t.Helper()
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	l := &TrustedList{SequenceNumber: 42, Territory: "SG", Operator: "Infocomm Media Development Authority",
		IssuedAt: testNow.Add(-24 * time.Hour), NextUpdate: testNow.Add(30 * 24 * time.Hour),
		Providers: []Provider{
			{Name: "Singpass Trust Services", Services: []Service{
				{Type: "http://uri.etsi.org/TrstSvc/Svctype/EDS/Q", Name: "Singpass credential seal", Status: StatusGranted,
					Certificates: []*x509.Certificate{testCert(t, p256(t), "Singpass seal")}},
				{Type: "http://uri.etsi.org/TrstSvc/Svctype/EDS/Q", Name: "Singpass old seal", Status: StatusWithdrawn,
					Certificates: []*x509.Certificate{testCert(t, p256(t), "Singpass old seal")}},
			}},
			{Name: "SkillsFuture Seals Pte. Ltd.", Services: []Service{
				{Type: "http://uri.etsi.org/TrstSvc/Svctype/EDS/Q", Name: "Diploma seal", Status: StatusGranted,
					Certificates: []*x509.Certificate{testCert(t, edk, "Diploma seal")}},
				{Type: "http://uri.etsi.org/TrstSvc/Svctype/CA/QC", Name: "Qualified CA", Status: StatusGranted,
					Certificates: []*x509.Certificate{testCert(t, p256(t), "Qualified CA")}},
			}},
		}}
	if services > 0 {
		cert := testCert(t, p256(t), "bulk")
		var svcs []Service
		for i := range services {
			svcs = append(svcs, Service{Type: "http://uri.etsi.org/TrstSvc/Svctype/EDS/Q", Name: fmt.Sprintf("seal %d", i), Status: StatusGranted,
				Certificates: []*x509.Certificate{cert}})
		}
		l.Providers = []Provider{}
		for i := 0; i < len(svcs); i += 10 {
			l.Providers = append(l.Providers, Provider{Name: fmt.Sprintf("Provider %d", i/10), Services: svcs[i:min(i+10, len(svcs))]})
		}
	}
	return l
}

// signed renders and signs l.
func signed(t testing.TB, l *TrustedList, signer crypto.Signer, cert *x509.Certificate) []byte {
	t.Helper()
	doc := Build(l)
	doc.Indent(2)
	if err := Sign(doc.Root(), signer, cert, testNow); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
