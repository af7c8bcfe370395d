package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/wallet"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier/httpapi"
)

// Company is the Singapore company of the stories: the subject of its BusinessRegistration.
var Company = map[string]any{"uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
	"registeredAddress": "1 Marina Boulevard, Singapore 018989", "incorporationDate": "2019-04-02",
	"entityType": "Private Company Limited by Shares"}

// LegalNameAndUENQuery is the DCQL query of Lingang's relying party: one BusinessRegistration
// SD-JWT VC of type vct, and of it only the legal name and the registration number (uen).
func LegalNameAndUENQuery(vct string) map[string]any {
	return map[string]any{"credentials": []any{map[string]any{
		"id": "company", "format": "dc+sd-jwt", "meta": map[string]any{"vct_values": []string{vct}},
		"claims": []any{map[string]any{"path": []string{"legalName"}}, map[string]any{"path": []string{"uen"}}},
	}}}
}

// WalletResult is what WalletStory saw.
type WalletResult struct {
	// Accepted is the relying party's outcome of the minimal presentation (200, verified).
	Accepted *httpapi.Response
	// Refused is the verifier's error code for the over-disclosing presentation.
	Refused string
	// Withheld lists the claims the wallet did not disclose in the accepted presentation.
	Withheld []string
}

// WalletStory tells, on t, the wallet path of the Singapore -> Lingang story against a running
// issuer sg (API key allowed to offer BusinessRegistration) and verifier v (OpenID4VP on):
// sg's back end offers the company's credential (OpenID4VCI, pre-authorized code with a
// tx_code), the company's wallet (internal/wallet) receives it bound to its key, Lingang's
// relying party asks for the legal name and uen (OpenID4VP, DCQL, direct_post.jwt), the wallet
// presents only those and the relying party reads the registry's grounds; a second
// presentation that also discloses the registered address is refused. The example
// wallet-openid and `idport demo` both tell it.
func WalletStory(ctx context.Context, t *Teller, sg *Issuer, v *Verifier) (*WalletResult, error) {
	t.Step("Singapore's registry portal offers the company its credential (OpenID4VCI, pre-authorized code + tx_code)")
	offer, err := sg.Offer(ctx, demoseed.Type, Company, []string{"dc+sd-jwt"}, 6)
	if err != nil {
		return nil, err
	}
	t.Say("POST %s/oid4vci/offers -> 201: QR code / deep link %s", sg.URL, Short(offer.DeepLink))
	t.Say("the 6-digit tx_code goes to the company's officer by another channel (SMS): %s", offer.TxCode)

	t.Step("The company's wallet scans the offer, types the tx_code and proves its key")
	w, err := wallet.New(keys.ES256)
	if err != nil {
		return nil, err
	}
	o, err := w.ResolveOffer(ctx, offer.DeepLink)
	if err != nil {
		return nil, err
	}
	creds, err := w.Receive(ctx, o, offer.TxCode)
	if err != nil {
		return nil, err
	}
	t.Say("token (tx_code), nonce, credential with a jwt proof of its ES256 key, notification: %d credential(s)", len(creds))
	t.Say("held: %s, %s, %d bytes, bound to the wallet's key (cnf.jwk)", creds[0].ConfigurationID, creds[0].Format, len(creds[0].Raw))

	t.Step("Lingang's relying party asks for the legal name and the uen only (OpenID4VP, DCQL, direct_post.jwt)")
	res := &WalletResult{}
	req, cred, err := walletRequest(ctx, t, w, v, demoseed.VCT(sg.URL))
	if err != nil {
		return nil, err
	}
	if err := w.Present(ctx, req.Request, cred, req.Asked()); err != nil {
		return nil, err
	}
	res.Withheld = []string{"registeredAddress"}
	t.Say("the wallet posts an encrypted response (ECDH-ES JWE) with SD-JWT + KB-JWT (nonce, aud = client id); registeredAddress stays undisclosed")
	out, status, err := v.Outcome(ctx, req.TransactionID, 10)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK || !out.Verified || out.Recognition == nil {
		return nil, Unexpectedf("want 200 verified with grounds, got HTTP %d %v", status, out)
	}
	res.Accepted = out
	g := out.Recognition
	t.Say("GET /openid4vp/requests/%s -> 200 verified; grounds: authority %s, scheme %s (%s), agreement %s, local assurance %s, registry version %d",
		Short(req.TransactionID), g.Authority, g.Scheme, g.Jurisdiction, g.Agreement, g.LocalAssurance, g.RegistryVersion)
	claims, _ := json.Marshal(out.Claims)
	t.Say("claims under Lingang's names: %s", claims)
	t.Say("(the type keeps incorporationDate and entityType always visible; only registeredAddress and industryCode are selectively disclosable)")
	if _, leaked := out.Claims["registeredAddress"]; leaked {
		return nil, Unexpectedf("the registered address reached the relying party: %s", claims)
	}

	t.Step("A presentation that discloses more than asked (the registered address too) is refused")
	req, cred, err = walletRequest(ctx, t, w, v, demoseed.VCT(sg.URL))
	if err != nil {
		return nil, err
	}
	err = w.Present(ctx, req.Request, cred, append(req.Asked(), "registeredAddress"))
	var he *wallet.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusBadRequest {
		return nil, Unexpectedf("want the over-disclosure refused with HTTP 400, got %v", err)
	}
	res.Refused = he.Code()
	if _, status, err := v.Outcome(ctx, req.TransactionID, 0); err != nil || status != http.StatusAccepted {
		return nil, Unexpectedf("the refused response changed the request (outcome HTTP %d, %v)", status, err)
	}
	t.Say("POST response_uri -> 400 %s; the request stays open for an honest answer", res.Refused)
	return res, nil
}

// walletRequest creates a presentation request at v and has the wallet resolve it and pick
// its credential for it.
func walletRequest(ctx context.Context, t *Teller, w *wallet.Wallet, v *Verifier, vct string) (*openRequest, wallet.Credential, error) {
	cr, err := v.RequestPresentation(ctx, LegalNameAndUENQuery(vct), "direct_post.jwt", "")
	if err != nil {
		return nil, wallet.Credential{}, err
	}
	req, err := w.Resolve(ctx, cr.DeepLink)
	if err != nil {
		return nil, wallet.Credential{}, err
	}
	if !req.Signed || !strings.HasPrefix(req.ClientID, wallet.PrefixDID) {
		return nil, wallet.Credential{}, Unexpectedf("want a request signed by the verifier's DID, got client id %s", req.ClientID)
	}
	t.Say("request %s: signed by %s (verified with its did:jwk), asks for %s", Short(cr.TransactionID), Short(strings.TrimPrefix(req.ClientID, wallet.PrefixDID)), strings.Join(req.Asked(), ", "))
	cred, ok := w.Find(demoseed.Type, req.Query.Credentials[0].Format)
	if !ok {
		return nil, wallet.Credential{}, fmt.Errorf("the wallet holds no %s credential", demoseed.Type)
	}
	return &openRequest{Request: req, TransactionID: cr.TransactionID}, cred, nil
}

// openRequest is a resolved request with its transaction id (the relying party's handle).
type openRequest struct {
	*wallet.Request
	TransactionID string
}
