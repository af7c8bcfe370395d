// Command einvoice-sender tells the e-invoice story of idport: a Singapore company registered
// in InvoiceNow (Singapore's Peppol network) sends a Lingang company an invoice as an
// OpenAttestation v2 document signed under its own DNS domain, and presents its InvoiceNow
// participant credential (VC-JOSE-COSE). The Lingang side verifies both against its trust
// registry: the invoice (integrity, DNS-DID identity, recognition of the domain) and the
// credential (recognition, status); checks they name the same company; and maps the sender to
// Lingang's e-invoice fields (seller name, seller identifier and its scheme) through the
// registry's claim mappings. A sender mismatch, a revoked participant credential and a
// suspended Singapore authority are each refused with their code.
//
//	go run ./examples/einvoice-sender
//
// It starts a trust registry, a Singapore issuer, a Lingang verifier and a DNS server on
// loopback (no Internet, no blockchain), and exits non-zero on any unexpected outcome.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/dnstxt"
	"github.com/idport/idport/pkg/dnstxt/dnstest"
	"github.com/idport/idport/pkg/oa"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
)

const (
	domain          = "merlion-trading.example.sg"
	participantType = "InvoiceNowParticipant"
	invoiceType     = "INVOICE"
	senderAuthority = "sg-merlion-trading"
	uen             = "201912345K"
	peppolID        = "0195:SGUEN" + uen
	legalName       = "Merlion Trading Pte. Ltd."
)

func main() { stack.Main(run) }

// world is what the story runs on.
type world struct {
	s    *stack.Stack
	reg  *stack.Registry
	sg   *stack.Issuer
	v    *stack.Verifier
	dns  *dnstest.Server
	key  *secp256k1.PrivateKey
	cred json.RawMessage
	id   string
}

func run(ctx context.Context, w io.Writer) error {
	t := &stack.Teller{W: w}
	wd, err := setup(ctx, t)
	if err != nil {
		return err
	}
	defer wd.s.Close()
	defer wd.dns.Close()

	t.Step("Merlion Trading signs invoice INV-2026-0042 to Lingang Components as an OpenAttestation document")
	invoice, err := wd.invoice("INV-2026-0042", peppolID)
	if err != nil {
		return err
	}
	t.Say("wrapped and signed by %s (target hash = Merkle root, a batch of one)", stack.Short(oa.KeyDID(wd.key.PubKey())))

	t.Step("Lingang verifies the invoice (POST /documents/verify) and the participant credential (POST /credentials/verify)")
	seller, err := wd.accept(ctx, t, invoice)
	if err != nil {
		return err
	}
	t.Outcome("accepted: invoice from %s, seller identifier %s (scheme %s), same company in both", seller.Name, seller.ID, seller.Scheme)

	t.Step("An invoice naming another Peppol participant arrives with Merlion's credential")
	other, err := wd.invoice("INV-2026-0043", "0195:SGUEN199900001Z")
	if err != nil {
		return err
	}
	if _, err := wd.accept(ctx, t, other); !errors.Is(err, errSenderMismatch) {
		return stack.Unexpectedf("want %s, got %v", codeSenderMismatch, err)
	}
	t.Outcome("rejected: %s", codeSenderMismatch)

	if err := wd.revoke(ctx, t, invoice); err != nil {
		return err
	}
	return wd.suspend(ctx, t, invoice)
}

// setup starts the services, publishes the DNS-DID record and recognises both Singapore
// authorities.
func setup(ctx context.Context, t *stack.Teller) (*world, error) {
	s, err := stack.New(ctx)
	if err != nil {
		return nil, err
	}
	wd := &world{s: s}
	if wd.dns, err = dnstest.Start(); err != nil {
		s.Close()
		return nil, err
	}
	s.DNS = &dnstxt.Cache{Resolver: &dnstxt.Client{Servers: []string{wd.dns.Addr}}, MaxTTL: time.Second}
	if wd.reg, err = s.StartRegistry(ctx); err != nil {
		return nil, err
	}
	if wd.sg, err = s.StartIssuer(ctx, stack.IssuerOptions{Name: "sg-invoicenow", Types: []issuer.CredentialType{participant()}}); err != nil {
		return nil, err
	}
	t.Step("Services on loopback: registry %s, InvoiceNow issuer %s, DNS %s", wd.reg.URL, wd.sg.URL, wd.dns.Addr)

	if wd.key, err = secp256k1.GeneratePrivateKey(); err != nil {
		return nil, err
	}
	rec := "openatts a=dns-did; p=" + oa.KeyDID(wd.key.PubKey()) + "; v=1.0;"
	wd.dns.SetTXT(domain, rec)
	wd.dns.SetSigned(domain, true)
	t.Say("Merlion Trading publishes TXT %s %q", domain, rec)

	t.Step("Regulators recognise InvoiceNow participants and Merlion Trading's domain for invoices")
	sgSide := stack.Side{Jurisdiction: "SG", JurisdictionName: "Singapore", Scheme: "sg.invoicenow", SchemeName: "Singapore InvoiceNow (Peppol)"}
	version, err := stack.Recognition{Local: stack.Lingang, Foreign: sgSide, AuthorityID: "sg-imda-invoicenow", AuthorityName: "InvoiceNow participant registry (example)",
		DID: wd.sg.DID, Types: []string{participantType}, Agreement: "sg-cn-sh-lg-einvoice", Effective: time.Now().Add(-time.Hour),
		ClaimMapping: map[string]string{"legalName": "seller_name", "peppolParticipantId": "seller_identifier"}}.Apply(ctx, wd.reg, "InvoiceNow participants")
	if err != nil {
		return nil, err
	}
	docSide := stack.Side{Jurisdiction: "SG", JurisdictionName: "Singapore", Scheme: "sg.trade-documents", SchemeName: "Singapore trade documents (OpenAttestation)"}
	version, err = stack.Recognition{Local: stack.Lingang, Foreign: docSide, AuthorityID: senderAuthority, AuthorityName: legalName,
		DNSDomains: []string{domain}, Types: []string{invoiceType}, Agreement: "sg-cn-sh-lg-einvoice", Effective: time.Now().Add(-time.Hour),
		ClaimMapping: map[string]string{"billFrom.name": "seller_name", "billFrom.peppolId": "seller_identifier"}}.Apply(ctx, wd.reg, "Merlion Trading invoices")
	if err != nil {
		return nil, err
	}
	t.Say("registry version %d: %s (by DID) issues %s; %s (by domain %s) issues %s", version, "sg-imda-invoicenow", participantType, senderAuthority, domain, invoiceType)

	if wd.v, err = s.StartVerifier(ctx, "lingang-verifier", wd.reg, verifier.Policy{LocalScheme: stack.Lingang.Scheme}, time.Second); err != nil {
		return nil, err
	}
	if wd.cred, wd.id, err = wd.sg.Issue(ctx, participantType, "vc+jwt", map[string]any{"uen": uen, "legalName": legalName, "peppolParticipantId": peppolID}, nil); err != nil {
		return nil, err
	}
	t.Say("InvoiceNow issued Merlion Trading its participant credential %s", stack.Short(wd.id))
	return wd, nil
}

// participant is the InvoiceNow participant credential type.
func participant() issuer.CredentialType {
	return issuer.CredentialType{Name: participantType, Description: "A company registered in InvoiceNow with its Peppol participant id.",
		Validity: issuer.Duration(365 * 24 * time.Hour), DefaultFormat: "vc+jwt",
		Claims: []issuer.Claim{{Name: "uen", Type: issuer.ClaimString, Required: true}, {Name: "legalName", Type: issuer.ClaimString, Required: true},
			{Name: "peppolParticipantId", Type: issuer.ClaimString, Required: true}}}
}

// invoice wraps and signs an invoice whose seller is sellerID.
func (wd *world) invoice(number, sellerID string) (json.RawMessage, error) {
	d, err := oa.Wrap(map[string]any{
		"$template": map[string]any{"name": invoiceType, "type": "EMBEDDED_RENDERER", "url": "https://renderer.merlion-trading.example.sg"},
		"id":        number, "date": "2026-03-01", "currency": "SGD", "total": "381.50",
		"billFrom": map[string]any{"name": legalName, "peppolId": sellerID},
		"billTo":   map[string]any{"name": "Lingang Components Co., Ltd.", "peppolId": "9959:LG-91310000MA1FL0001X"},
		"issuers": []any{map[string]any{"name": legalName, "revocation": map[string]any{"type": "NONE"},
			"identityProof": map[string]any{"type": oa.IdentityDNSDID, "location": domain, "key": oa.KeyDID(wd.key.PubKey())}}},
	})
	if err != nil {
		return nil, err
	}
	if err := d.Sign(wd.key, time.Now()); err != nil {
		return nil, err
	}
	return json.Marshal(d)
}

// codeSenderMismatch: the invoice's seller is not the company of the participant credential.
const codeSenderMismatch = "sender_mismatch"

// errSenderMismatch is Lingang's refusal of an invoice whose seller is not the company of the
// participant credential presented with it.
var errSenderMismatch = errors.New(codeSenderMismatch)

// Seller is the sender under Lingang's e-invoice names.
type Seller struct {
	Name, ID, Scheme string
}

// accept verifies the invoice and the credential and matches them.
func (wd *world) accept(ctx context.Context, t *stack.Teller, invoice json.RawMessage) (Seller, error) {
	inv, err := verified(ctx, wd.v.VerifyDocument, invoice, "invoice")
	if err != nil {
		return Seller{}, err
	}
	d := inv.Results.Document
	t.Say("invoice: %s; domain %s (DNSSEC %v), key %s; authority %s, registry version %d", checks(inv), d.Domain, d.DNSSEC,
		stack.Short(d.Key), inv.Recognition.Authority, inv.Recognition.RegistryVersion)
	cred, err := verified(ctx, wd.v.VerifyCredential, wd.cred, "participant credential")
	if err != nil {
		return Seller{}, err
	}
	t.Say("credential: %s; authority %s", checks(cred), cred.Recognition.Authority)
	a, b := inv.Claims, cred.Claims
	if a["seller_identifier"] != b["seller_identifier"] || a["seller_name"] != b["seller_name"] {
		return Seller{}, fmt.Errorf("%w: invoice seller %v (%v), credential %v (%v)", errSenderMismatch,
			a["seller_name"], a["seller_identifier"], b["seller_name"], b["seller_identifier"])
	}
	id, _ := b["seller_identifier"].(string)
	scheme, value, ok := strings.Cut(id, ":")
	if !ok {
		return Seller{}, stack.Unexpectedf("seller identifier %q has no scheme", id)
	}
	name, _ := b["seller_name"].(string)
	return Seller{Name: name, ID: value, Scheme: scheme}, nil
}

// verified posts raw and wants 200 verified.
func verified(ctx context.Context, post func(context.Context, json.RawMessage) (*httpapi.Response, int, error), raw json.RawMessage, what string) (*httpapi.Response, error) {
	res, status, err := post(ctx, raw)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK || !res.Verified || res.Recognition == nil {
		return res, stack.Unexpectedf("%s: want 200 verified, got HTTP %d %s", what, status, stack.Summary(res))
	}
	return res, nil
}

func checks(r *httpapi.Response) string {
	var b strings.Builder
	for i, c := range r.Results.Checks {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(c.Name + "=" + string(c.Outcome))
	}
	return b.String()
}

// revoke has InvoiceNow revoke the participant credential: Lingang refuses it.
func (wd *world) revoke(ctx context.Context, t *stack.Teller, invoice json.RawMessage) error {
	t.Step("InvoiceNow deregisters Merlion Trading: the participant credential is revoked")
	if _, err := wd.sg.SetStatus(ctx, wd.id, "revoke"); err != nil {
		return err
	}
	var res *httpapi.Response
	err := stack.Eventually(ctx, func() (bool, error) {
		var err error
		res, _, err = wd.v.VerifyCredential(ctx, wd.cred)
		return err == nil && stack.HasError(res, string(verifier.CodeRevoked)), err
	})
	if err != nil {
		return err
	}
	t.Outcome("rejected: participant credential %s", stack.FirstError(res))
	return nil
}

// suspend has the regulators suspend Merlion Trading's authority: the invoice is refused.
func (wd *world) suspend(ctx context.Context, t *stack.Teller, invoice json.RawMessage) error {
	t.Step("Singapore's regulators suspend %s (alice proposes, bob approves)", senderAuthority)
	p, err := adminclient.ProposeAndApprove(ctx, wd.reg.Alice, wd.reg.Bob,
		trustregistry.SuspendAuthority(senderAuthority, "invoices under investigation", time.Now().Add(-time.Minute)), "suspend the sender")
	if err != nil {
		return err
	}
	t.Say("registry version %d", p.AppliedVersion)
	var res *httpapi.Response
	err = stack.Eventually(ctx, func() (bool, error) {
		var err error
		res, _, err = wd.v.VerifyDocument(ctx, invoice)
		return err == nil && stack.HasError(res, string(verifier.CodeAuthoritySuspended)), err
	})
	if err != nil {
		return err
	}
	t.Outcome("rejected: invoice %s", stack.FirstError(res))
	return nil
}
