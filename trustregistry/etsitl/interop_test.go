package etsitl

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"testing"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/nodetest"
)

type xmlCryptoVerdict struct {
	Valid      bool   `json:"valid"`
	References int    `json:"references"`
	Error      string `json:"error"`
}

// Lists idport signs verify with xml-crypto (an independent XMLDSig implementation), both
// references (the list and the XAdES SignedProperties) included; a changed list does not.
func TestInteropXMLCryptoVerifiesOurLists(t *testing.T) {
	key := p256(t)
	cert := testCert(t, key, "Lingang registry list signer")
	data := signed(t, sampleList(t, 0), key, cert)
	var v xmlCryptoVerdict
	nodetest.Run(t, "etsitl-xmlcrypto-verify.mjs", map[string]string{"xml": string(data), "cert_pem": string(pemOf(cert))}, &v)
	if !v.Valid || v.References != 2 {
		t.Fatalf("xml-crypto: %+v", v)
	}
	bad := bytes.Replace(data, []byte("Singpass credential seal"), []byte("Singpass credential SEAL"), 1)
	nodetest.Run(t, "etsitl-xmlcrypto-verify.mjs", map[string]string{"xml": string(bad), "cert_pem": string(pemOf(cert))}, &v)
	if v.Valid {
		t.Fatal("xml-crypto accepted a changed list")
	}
	other := p256(t)
	nodetest.Run(t, "etsitl-xmlcrypto-verify.mjs", map[string]string{"xml": string(data), "cert_pem": string(pemOf(testCert(t, other, "x")))}, &v)
	if v.Valid {
		t.Fatal("xml-crypto accepted the list under another certificate")
	}
}

// xmlCryptoSigned has xml-crypto sign l with a fresh RSA key (the key type of most EU lists).
func xmlCryptoSigned(t *testing.T, l *TrustedList) ([]byte, *x509.Certificate) {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert := testCert(t, rk, "EU list signer (xml-crypto)")
	var unsigned bytes.Buffer
	doc := Build(l)
	doc.Indent(2)
	doc.WriteTo(&unsigned)
	sum := sha256.Sum256(cert.Raw)
	var out struct {
		XML string `json:"xml"`
	}
	nodetest.Run(t, "etsitl-xmlcrypto-sign.mjs", map[string]string{"xml": unsigned.String(),
		"key_pem":         string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, rk)})),
		"cert_pem":        string(pemOf(cert)),
		"cert_sha256_b64": base64.StdEncoding.EncodeToString(sum[:]),
		"signing_time":    testNow.Format(time.RFC3339)}, &out)
	return []byte(out.XML), cert
}

func mustPKCS8(t *testing.T, k any) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Lists xml-crypto signs (RSA-SHA256, XAdES SignedProperties) are imported by idport; changing
// one service, or pinning another certificate, refuses them.
func TestInteropWeImportXMLCryptoLists(t *testing.T) {
	data, cert := xmlCryptoSigned(t, sampleList(t, 0))
	v, err := Verify(data, VerifyOptions{Pinned: []*x509.Certificate{cert}, Now: testNow})
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, data)
	}
	m, err := Map(v, Selection{Scheme: "sg", CredentialTypes: []string{"DiplomaCredential"}, At: testNow}, nil)
	if err != nil || len(m.Keys) != 3 {
		t.Fatalf("map: %v %+v", err, m)
	}
	bad := bytes.Replace(data, []byte("Diploma seal"), []byte("Diploma seal!"), 1)
	if _, err := Verify(bad, VerifyOptions{Pinned: []*x509.Certificate{cert}, Now: testNow}); errs.CodeOf(err) != CodeSignatureInvalid {
		t.Fatalf("changed list: %v", err)
	}
	other := p256(t)
	if _, err := Verify(data, VerifyOptions{Pinned: []*x509.Certificate{testCert(t, other, "x")}, Now: testNow}); errs.CodeOf(err) != CodeSignerNotPinned {
		t.Fatalf("unpinned: %v", err)
	}
}
