package verifier_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/idport/idport/pkg/dnstxt"
	"github.com/idport/idport/pkg/dnstxt/dnstest"
	"github.com/idport/idport/pkg/nodetest"
	"github.com/idport/idport/pkg/oa"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

const oaDomain = "merlion.example.sg"

// oaFixture is a DNS server, a trust source recognising oaDomain for
// INVOICE, and the issuer's secp256k1 key.
type oaFixture struct {
	dns   *dnstest.Server
	trust *verifier.StaticTrust
	key   *secp256k1.PrivateKey
	v     *verifier.Verifier
}

func newOAFixture(t testing.TB) *oaFixture {
	t.Helper()
	s, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	key, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	s.SetTXT(oaDomain, "v=spf1 -all", "openatts a=dns-did; p="+oa.KeyDID(key.PubKey())+"; v=1.0;")
	trust := verifier.NewStaticTrust(7, verifier.StaticAuthority{
		Issuer: oaDomain, Authority: "sg-merlion", Scheme: "sg.trade-documents", Jurisdiction: "SG",
		Agreement: "sg-cn-sh-lg-dea", Recognition: "lg-recognises-sg-trade-documents", Types: []string{"INVOICE"},
		LocalAssurance: "L2", ForeignAssurance: "substantial",
		ClaimMapping: map[string]string{"billFrom.name": "seller_name", "billFrom.peppolId": "seller_identifier"},
	})
	dns := &dnstxt.Cache{Resolver: &dnstxt.Client{Servers: []string{s.Addr}, Limits: dnstxt.Limits{Timeout: 300 * time.Millisecond}}}
	v, err := verifier.New(verifier.Config{TrustSource: trust, Clock: testutil.Clock, DNS: dns,
		DocumentLimits: oa.Limits{MaxBytes: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	return &oaFixture{dns: s, trust: trust, key: key, v: v}
}

func oaInvoice(domain, keyDID string) map[string]any {
	return map[string]any{
		"$template": map[string]any{"name": "INVOICE", "type": "EMBEDDED_RENDERER", "url": "https://renderer.example.sg"},
		"id":        "INV-2026-0042",
		"billFrom":  map[string]any{"name": "Merlion Trading Pte. Ltd.", "peppolId": "0195:SGUEN201912345K"},
		"billTo":    map[string]any{"name": "Lingang Components Co., Ltd.", "note": "deliver to gate 3"},
		"total":     "381.50",
		"issuers": []any{map[string]any{"name": "Merlion Trading Pte. Ltd.", "revocation": map[string]any{"type": "NONE"},
			"identityProof": map[string]any{"type": "DNS-DID", "location": domain, "key": keyDID}}},
	}
}

func (f *oaFixture) sign(t testing.TB, data map[string]any, key *secp256k1.PrivateKey) []byte {
	t.Helper()
	d, err := oa.Wrap(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sign(key, testNow); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (f *oaFixture) verify(t testing.TB, raw []byte) *verifier.Result {
	t.Helper()
	r, err := f.v.VerifyDocument(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func checkNames(r *verifier.Result) []string {
	var out []string
	for _, c := range r.Checks {
		out = append(out, c.Name+":"+string(c.Outcome))
	}
	return out
}

func TestVerifyDocument(t *testing.T) {
	f := newOAFixture(t)
	f.dns.SetSigned(oaDomain, true)
	r := f.verify(t, f.sign(t, oaInvoice(oaDomain, oa.KeyDID(f.key.PubKey())), f.key))
	if !r.Verified {
		t.Fatalf("not verified: %+v", r.Errors)
	}
	want := []string{"format:passed", "integrity:passed", "signature:passed", "identity:passed", "recognition:passed"}
	if got := checkNames(r); !slices.Equal(got[:len(want)], want) {
		t.Fatalf("checks %v", got)
	}
	if r.Format != verifier.FormatOpenAttestation || r.Issuer != oaDomain || !slices.Equal(r.Types, []string{"INVOICE"}) {
		t.Fatalf("result %+v", r)
	}
	if r.Recognition == nil || r.Recognition.Authority != "sg-merlion" || r.Recognition.RegistryVersion != 7 || r.Recognition.LocalAssurance != "L2" {
		t.Fatalf("recognition %+v", r.Recognition)
	}
	if r.Claims["seller_name"] != "Merlion Trading Pte. Ltd." || r.Claims["seller_identifier"] != "0195:SGUEN201912345K" || r.Claims["billTo.name"] == nil {
		t.Fatalf("claims %v", r.Claims)
	}
	for _, meta := range []string{"issuers.0.name", "$template.name"} {
		if _, leaked := r.Claims[meta]; leaked {
			t.Fatalf("issuance metadata %s reported as a claim", meta)
		}
	}
	if d := r.Document; d == nil || !d.DNSSEC || d.Domain != oaDomain || d.Key != oa.KeyDID(f.key.PubKey()) || d.Template != "INVOICE" || d.ObfuscatedFields != 0 {
		t.Fatalf("document %+v", r.Document)
	}
}

func TestVerifyDocumentObfuscated(t *testing.T) {
	f := newOAFixture(t)
	d, _ := oa.Wrap(oaInvoice(oaDomain, oa.KeyDID(f.key.PubKey())))
	_ = d.Sign(f.key, testNow)
	if err := d.Obfuscate("billTo.note", "total"); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(d)
	r := f.verify(t, raw)
	if !r.Verified || r.Document.ObfuscatedFields != 2 || len(r.Document.Obfuscated) != 2 || r.Document.DNSSEC {
		t.Fatalf("%+v %+v", r.Errors, r.Document)
	}
	if _, ok := r.Claims["total"]; ok {
		t.Fatal("hidden field reported")
	}
}

func edit(t testing.TB, raw []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, _ := json.Marshal(m)
	return out
}

func TestVerifyDocumentRefusals(t *testing.T) {
	f := newOAFixture(t)
	keyDID := oa.KeyDID(f.key.PubKey())
	good := f.sign(t, oaInvoice(oaDomain, keyDID), f.key)
	other, _ := secp256k1.GeneratePrivateKey()
	otherDID := oa.KeyDID(other.PubKey())

	f.dns.SetTXT("other-did.example.sg", "openatts a=dns-did; p="+otherDID+"; v=1.0;")
	f.dns.SetTXT("slow.example.sg", "openatts a=dns-did; p="+keyDID+"; v=1.0;")
	f.dns.SetDelay("slow.example.sg", 2*time.Second)
	recognise := func(domain string) {
		f.trust = verifier.NewStaticTrust(8, verifier.StaticAuthority{Issuer: oaDomain, Authority: "sg-merlion", Types: []string{"INVOICE"}},
			verifier.StaticAuthority{Issuer: domain, Authority: "sg-" + domain, Types: []string{"INVOICE"}})
		v, err := verifier.New(verifier.Config{TrustSource: f.trust, Clock: testutil.Clock,
			DNS:            &dnstxt.Client{Servers: []string{f.dns.Addr}, Limits: dnstxt.Limits{Timeout: 300 * time.Millisecond}},
			DocumentLimits: oa.Limits{MaxBytes: 64 << 10}})
		if err != nil {
			t.Fatal(err)
		}
		f.v = v
	}
	anchored := oaInvoice(oaDomain, "")
	anchored["issuers"] = []any{map[string]any{"name": "x", "documentStore": "0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d",
		"identityProof": map[string]any{"type": "DNS-TXT", "location": oaDomain}}}
	anchoredDoc, _ := oa.Wrap(anchored)
	anchoredRaw, _ := json.Marshal(anchoredDoc)
	big := oaInvoice(oaDomain, keyDID)
	big["padding"] = strings.Repeat("x", 70<<10)

	cases := []struct {
		name   string
		domain string // recognised besides oaDomain
		raw    []byte
		check  string
		code   verifier.Code
	}{
		{"changed field", "", edit(t, good, func(m map[string]any) {
			bf := m["data"].(map[string]any)["billFrom"].(map[string]any)
			bf["name"] = bf["name"].(string)[:36] + ":string:Mallory Pte. Ltd."
		}), verifier.CheckIntegrity, verifier.CodeTargetHashMismatch},
		{"wrong merkle proof", "", edit(t, good, func(m map[string]any) {
			m["signature"].(map[string]any)["proof"] = []any{strings.Repeat("ab", 32)}
		}), verifier.CheckIntegrity, verifier.CodeMerkleRootMismatch},
		{"signature by another key", "", edit(t, f.sign(t, oaInvoice(oaDomain, keyDID), other), func(m map[string]any) {
			m["proof"].([]any)[0].(map[string]any)["verificationMethod"] = keyDID
		}), verifier.CheckSignature, verifier.CodeSignatureInvalid},
		{"no proof by the issuer's key", "", f.sign(t, oaInvoice(oaDomain, keyDID), other), verifier.CheckSignature, verifier.CodeSignatureInvalid},
		{"DNS names another DID", "other-did.example.sg", f.sign(t, oaInvoice("other-did.example.sg", keyDID), f.key), verifier.CheckIdentity, verifier.CodeIdentityProofFailed},
		{"no DNS record", "nothing.example.sg", f.sign(t, oaInvoice("nothing.example.sg", keyDID), f.key), verifier.CheckIdentity, verifier.CodeIdentityProofFailed},
		{"DNS times out", "slow.example.sg", f.sign(t, oaInvoice("slow.example.sg", keyDID), f.key), verifier.CheckIdentity, verifier.CodeIdentityProofUnavailable},
		{"domain not recognised", "", f.sign(t, oaInvoice("unknown.example.sg", keyDID), f.key), verifier.CheckRecognition, verifier.CodeIssuerNotRecognised},
		{"document store", "", anchoredRaw, verifier.CheckFormat, verifier.CodeBlockchainAnchorUnsupported},
		{"too large", "", f.sign(t, big, f.key), verifier.CheckFormat, verifier.CodeMalformed},
		{"deeply nested", "", edit(t, good, func(m map[string]any) {
			var deep any = "x"
			for range 40 {
				deep = map[string]any{"a": deep}
			}
			m["data"].(map[string]any)["deep"] = deep
		}), verifier.CheckFormat, verifier.CodeMalformed},
		{"not a document", "", []byte(`{"hello":"world"}`), verifier.CheckFormat, verifier.CodeMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recognise(c.domain)
			before := f.dns.Queries()
			r := f.verify(t, c.raw)
			if r.Verified || r.FirstError() != c.code {
				t.Fatalf("got %v %+v, want %s", r.Verified, r.Errors, c.code)
			}
			last := r.Checks[len(r.Checks)-1]
			if last.Name != c.check || last.Outcome != verifier.Failed {
				t.Fatalf("checks %v", checkNames(r))
			}
			if c.check != verifier.CheckIdentity && f.dns.Queries() != before {
				t.Fatal("DNS queried for a document refused before the identity check")
			}
		})
	}
}

func TestVerifyDocumentSuspendedAuthority(t *testing.T) {
	f := newOAFixture(t)
	raw := f.sign(t, oaInvoice(oaDomain, oa.KeyDID(f.key.PubKey())), f.key)
	f.trust.Suspend(oaDomain, testNow.Add(-time.Hour))
	r := f.verify(t, raw)
	if r.Verified || r.FirstError() != verifier.CodeAuthoritySuspended {
		t.Fatalf("%+v", r.Errors)
	}
}

// TestInteropVerifyReferenceDocuments: documents wrapped, obfuscated and
// signed by @govtechsg/open-attestation (an ethers v5 Wallet signing) are
// verified end to end.
func TestInteropVerifyReferenceDocuments(t *testing.T) {
	f := newOAFixture(t)
	priv := "0x" + hex.EncodeToString(f.key.Serialize())
	// The reference writes the checksummed address; DNS and the document name it so.
	data := oaInvoice(oaDomain, oa.KeyDID(f.key.PubKey()))
	in := map[string]any{"documents": []any{
		map[string]any{"data": data, "privateKey": priv},
		map[string]any{"data": data, "privateKey": priv, "obfuscate": []string{"billTo.note"}},
	}, "batch": map[string]any{"data": []any{data, data, data}, "privateKey": priv}}
	var out struct {
		Documents []json.RawMessage `json:"documents"`
		Batch     []json.RawMessage `json:"batch"`
	}
	nodetest.Run(t, "oa-wrap.mjs", in, &out)
	for i, raw := range append(out.Documents, out.Batch...) {
		r := f.verify(t, raw)
		if !r.Verified || r.Claims["seller_identifier"] != "0195:SGUEN201912345K" {
			t.Fatalf("document %d: %+v", i, r.Errors)
		}
		if i == 1 && r.Document.ObfuscatedFields != 1 {
			t.Fatalf("obfuscated %+v", r.Document)
		}
	}
}
