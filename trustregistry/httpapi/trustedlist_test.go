package httpapi_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/etsitl"
)

func selfSigned(t *testing.T, cn string) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return k, c
}

// sgList is a Singapore trusted list with one granted sealing service, signed by signer.
func sgList(t *testing.T, signer crypto.Signer, cert *x509.Certificate, nextUpdate time.Time) []byte {
	t.Helper()
	_, svcCert := selfSigned(t, "ACRA credential seal")
	l := &etsitl.TrustedList{SequenceNumber: 7, Territory: "SG", Operator: "IMDA", IssuedAt: time.Now().Add(-time.Hour), NextUpdate: nextUpdate,
		Providers: []etsitl.Provider{{Name: "ACRA Trust Services", Services: []etsitl.Service{{
			Type: "http://uri.etsi.org/TrstSvc/Svctype/EDS/Q", Name: "ACRA credential seal", Status: etsitl.StatusGranted,
			Certificates: []*x509.Certificate{svcCert}}}}}}
	doc := etsitl.Build(l)
	doc.Indent(2)
	if err := etsitl.Sign(doc.Root(), signer, cert, time.Now()); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	doc.WriteTo(&b)
	return b.Bytes()
}

func TestTrustedListImportProposesAndExportPublishes(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, f.admin("alice"), f.admin("bob"), demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	key, cert := selfSigned(t, "IMDA trusted list signer")
	pin := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	req := etsitl.ImportRequest{List: sgList(t, key, cert, time.Now().Add(24*time.Hour)), SignerCertificates: []string{pin},
		Scheme: demoseed.ForeignScheme, CredentialTypes: []string{demoseed.Type}, Assurance: "high", Source: "sg-tl.xml", Reason: "SG list #7"}

	// Refusals: each with its code, and nothing stored.
	other, otherCert := selfSigned(t, "someone else")
	for name, c := range map[string]struct {
		mut  func(r *etsitl.ImportRequest)
		code string
	}{
		"unpinned signer": {func(r *etsitl.ImportRequest) { r.List = sgList(t, other, otherCert, time.Now().Add(time.Hour)) }, "trusted_list_signer_not_pinned"},
		"expired":         {func(r *etsitl.ImportRequest) { r.List = sgList(t, key, cert, time.Now().Add(-time.Minute)) }, "trusted_list_expired"},
		"changed": {func(r *etsitl.ImportRequest) {
			r.List = bytes.Replace(r.List, []byte("ACRA Trust"), []byte("ACME Trust"), 1)
		}, "trusted_list_signature_invalid"},
		"entities": {func(r *etsitl.ImportRequest) {
			r.List = []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`)
		}, "trusted_list_unsafe_xml"},
		"bad pin":      {func(r *etsitl.ImportRequest) { r.SignerCertificates = []string{"junk"} }, "trusted_list_bad_pin"},
		"nothing":      {func(r *etsitl.ImportRequest) { r.TSPs = []string{"Nobody"} }, "trusted_list_nothing_selected"},
		"50 MB list":   {func(r *etsitl.ImportRequest) { r.List = make([]byte, 50<<20) }, "body_too_large"},
		"scheme":       {func(r *etsitl.ImportRequest) { r.Scheme = "no.such.scheme" }, "unknown_reference"},
		"approver can": {func(r *etsitl.ImportRequest) {}, "forbidden"},
	} {
		r := req
		c.mut(&r)
		cl := f.admin("alice")
		if name == "approver can" {
			cl = f.admin("bob")
		}
		_, err := cl.ImportTrustedList(ctx, r)
		var p *adminclient.Problem
		if !errors.As(err, &p) || p.Code != c.code {
			t.Fatalf("%s: %v, want %s", name, err, c.code)
		}
	}
	if ps, _ := f.admin("alice").ListProposals(ctx, trustregistry.ProposalPending); len(ps) != 0 {
		t.Fatalf("refused imports stored %d proposals", len(ps))
	}

	res, err := f.admin("alice").ImportTrustedList(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Proposal.Status != trustregistry.ProposalPending || len(res.Keys) != 1 || !res.Keys[0].New ||
		res.Keys[0].Source.TSPName != "ACRA Trust Services" || res.Keys[0].Source.SequenceNumber != 7 || res.List.SignerSHA256 != etsitl.CertSHA256(cert) {
		t.Fatalf("import: %+v", res)
	}
	id := etsitl.AuthorityID("SG", "ACRA Trust Services")
	if _, ok := f.svc.Index().State().Authorities[id]; ok {
		t.Fatal("an import applied without approval")
	}
	if p, err := f.admin("bob").Approve(ctx, res.Proposal.ID, "checked against the EU LOTL pin"); err != nil || p.Status != trustregistry.ProposalApplied {
		t.Fatalf("approve: %+v %v", p, err)
	}
	tp := res.Keys[0].Thumbprint
	d, err := f.svc.Decide(ctx, trustregistry.Query{Entity: tp, KeyThumbprint: tp, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme})
	if err != nil || !d.Recognised || d.KeyProvenance == nil || d.KeyProvenance.TrustedList == nil ||
		d.KeyProvenance.TrustedList.ServiceName != "ACRA credential seal" || d.KeyProvenance.CheckedBy != "alice" {
		t.Fatalf("decision: %+v %v", d, err)
	}

	// A TRQP verdict on the key names the list it came from in its grounds.
	body, _ := json.Marshal(map[string]string{"entity_id": tp, "authority_id": demoseed.LocalScheme, "action": "issue", "resource": demoseed.Type})
	resp, ans := f.do(t, "POST", "/authorization", "", "application/json", body)
	var tr struct {
		Authorized bool                   `json:"authorized"`
		Grounds    trustregistry.Decision `json:"grounds"`
	}
	if json.Unmarshal(ans, &tr); resp.StatusCode != 200 || !tr.Authorized || tr.Grounds.KeyProvenance == nil ||
		tr.Grounds.KeyProvenance.TrustedList == nil || tr.Grounds.KeyProvenance.TrustedList.Territory != "SG" {
		t.Fatalf("TRQP: %d %s", resp.StatusCode, ans)
	}
	t.Logf("TRQP grounds: %s", ans)

	// Export: signed by the registry's list key, whose certificate is published beside it.
	resp, pemBody := f.do(t, "GET", "/trusted-list.pem", "", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("pem: %d", resp.StatusCode)
	}
	pins, err := etsitl.ParsePins(pemBody)
	if err != nil {
		t.Fatal(err)
	}
	resp, xml := f.do(t, "GET", "/trusted-list.xml", "", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("xml: %d", resp.StatusCode)
	}
	v, err := etsitl.Verify(xml, etsitl.VerifyOptions{Pinned: pins})
	if err != nil {
		t.Fatalf("verify export: %v", err)
	}
	var names []string
	for _, p := range v.List.Providers {
		names = append(names, p.Name)
	}
	if v.List.Territory != "CN-SH-LG" || !strings.Contains(strings.Join(names, "|"), "ACRA Trust Services") || len(names) < 2 {
		t.Fatalf("exported list: %s %v", v.List.Territory, names)
	}
	b, _ := json.Marshal(v.List)
	t.Logf("exported: %s", b)
}
