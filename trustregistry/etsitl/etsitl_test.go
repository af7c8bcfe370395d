package etsitl

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"crypto/x509"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
)

func TestSignVerifyMap(t *testing.T) {
	key := p256(t)
	cert := testCert(t, key, "IMDA trusted list signer")
	data := signed(t, sampleList(t, 0), key, cert)
	v, err := Verify(data, VerifyOptions{Pinned: []*x509.Certificate{cert}, Now: testNow})
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, data)
	}
	if v.List.SequenceNumber != 42 || v.List.Territory != "SG" || len(v.List.Providers) != 2 {
		t.Fatalf("list = %+v", v.List)
	}
	m, err := Map(v, Selection{Scheme: "sg-scheme", CredentialTypes: []string{"DiplomaCredential"}, ImportedBy: "alice", At: testNow,
		ServiceTypes: []string{"http://uri.etsi.org/TrstSvc/Svctype/EDS/Q"}, Source: "sg-tl.xml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.ChangeSet.Ops) != 2 || len(m.Keys) != 2 || len(m.Skipped) != 1 {
		t.Fatalf("mapping: %d ops, keys %+v, skipped %+v", len(m.ChangeSet.Ops), m.Keys, m.Skipped)
	}
	a := m.ChangeSet.Ops[0].Authority
	if a.ID != "tl-sg-singpass-trust-services" || a.Keys[0].Provenance.TrustedList.SequenceNumber != 42 ||
		a.Keys[0].Provenance.CheckedBy != "alice" || a.Keys[0].Provenance.TrustedList.SignerSHA256 != CertSHA256(cert) ||
		a.Keys[0].Provenance.TrustedList.ServiceName != "Singpass credential seal" {
		t.Fatalf("authority = %+v provenance %+v", a, a.Keys[0].Provenance)
	}
	for _, k := range m.Keys {
		if !trustregistry.ValidThumbprint(k.Thumbprint) || !k.New {
			t.Fatalf("key %+v", k)
		}
	}
	sel := Selection{Scheme: "x", CredentialTypes: []string{"T"}, TSPs: []string{"nobody"}}
	if _, err := Map(v, sel, nil); !errors.Is(err, ErrNothingSelected) {
		t.Fatalf("empty selection: %v", err)
	}
}

func refused(t *testing.T, data []byte, o VerifyOptions, want errs.Code) {
	t.Helper()
	start := time.Now()
	_, err := Verify(data, o)
	if errs.CodeOf(err) != want {
		t.Fatalf("code = %q (%v), want %q", errs.CodeOf(err), err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("refusal took %v", d)
	}
	t.Logf("refused: %v", err)
}

func TestVerifyRefuses(t *testing.T) {
	key := p256(t)
	cert := testCert(t, key, "IMDA trusted list signer")
	pins := VerifyOptions{Pinned: []*x509.Certificate{cert}, Now: testNow}
	good := signed(t, sampleList(t, 0), key, cert)

	t.Run("changed service", func(t *testing.T) {
		bad := bytes.Replace(good, []byte("Diploma seal"), []byte("Diploma seaL"), 1)
		refused(t, bad, pins, CodeSignatureInvalid)
	})
	t.Run("changed signed properties", func(t *testing.T) {
		bad := bytes.Replace(good, []byte("<xades:SigningTime>2026"), []byte("<xades:SigningTime>2025"), 1)
		refused(t, bad, pins, CodeSignatureInvalid)
	})
	t.Run("unpinned signer", func(t *testing.T) {
		other := p256(t)
		refused(t, signed(t, sampleList(t, 0), other, testCert(t, other, "someone else")), pins, CodeSignerNotPinned)
	})
	t.Run("expired", func(t *testing.T) {
		refused(t, good, VerifyOptions{Pinned: pins.Pinned, Now: testNow.Add(31 * 24 * time.Hour)}, CodeExpired)
	})
	t.Run("external entity", func(t *testing.T) {
		xxe := `<?xml version="1.0"?><!DOCTYPE tsl [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + strings.SplitN(string(good), "?>", 2)[1]
		xxe = strings.Replace(xxe, "Diploma seal", "&xxe;", 1)
		refused(t, []byte(xxe), pins, CodeUnsafeXML)
	})
	t.Run("billion laughs", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">`)
		prev := "lol"
		for i := 1; i <= 9; i++ {
			name := "lol" + string(rune('0'+i))
			b.WriteString(`<!ENTITY ` + name + ` "` + strings.Repeat("&"+prev+";", 10) + `">`)
			prev = name
		}
		b.WriteString(`]><tsl:TrustServiceStatusList xmlns:tsl="` + NSTSL + `">&lol9;</tsl:TrustServiceStatusList>`)
		refused(t, []byte(b.String()), pins, CodeUnsafeXML)
	})
	t.Run("50 MB", func(t *testing.T) {
		big := make([]byte, 50<<20)
		copy(big, good)
		refused(t, big, pins, CodeTooLarge)
		if _, err := ReadLimited(bytes.NewReader(big), Limits{}); errs.CodeOf(err) != CodeTooLarge {
			t.Fatalf("ReadLimited: %v", err)
		}
	})
	t.Run("too deep", func(t *testing.T) {
		deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
		refused(t, []byte(deep), pins, CodeUnsafeXML)
	})
	t.Run("unsigned", func(t *testing.T) {
		var b bytes.Buffer
		Build(sampleList(t, 0)).WriteTo(&b)
		refused(t, b.Bytes(), pins, CodeSignatureInvalid)
	})
	t.Run("wrapped", func(t *testing.T) {
		// a second, forged provider list outside the signed content is refused as a second signature
		// or a changed document; either way never read
		bad := bytes.Replace(good, []byte("<tsl:TrustServiceProviderList>"), []byte("<tsl:TrustServiceProviderList><tsl:TrustServiceProvider/>"), 1)
		refused(t, bad, pins, CodeSignatureInvalid)
	})
}
