package openid4vci

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"math/big"
	"net/url"
	"slices"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/errs"
)

// OfferScheme is the URI scheme of credential offer deep links.
const OfferScheme = "openid-credential-offer://"

// OfferRequest asks for a credential offer for one subject.
type OfferRequest struct {
	// Type is the credential type.
	Type string
	// Subject holds the subject claims, checked against the type now.
	Subject map[string]any
	// Formats restricts the offered formats; empty offers every format available.
	Formats []string
	// TxCode asks for a transaction code of this many digits (0: none; 4 to 8).
	TxCodeLength int
	// TxCodeDescription tells the user where the code comes from (optional).
	TxCodeDescription string
	// Client is the authenticated back end; its API key's type scope applies.
	Client *issuer.Client
}

// Offer is a created credential offer.
type Offer struct {
	// ID identifies the offer; URI is its credential_offer_uri.
	ID  string
	URI string
	// Object is the credential offer object (it carries the pre-authorized code).
	Object json.RawMessage
	// TxCode is the transaction code to send the user by another channel ("" when none).
	// It is shown only here: the store keeps its hash.
	TxCode string
	// Expires is when the offer and its pre-authorized code expire.
	Expires time.Time
	// Configurations are the offered credential configuration ids.
	Configurations []string
}

// DeepLink is the offer by reference: openid-credential-offer://?credential_offer_uri=...
func (o *Offer) DeepLink() string {
	return OfferScheme + "?" + url.Values{"credential_offer_uri": {o.URI}}.Encode()
}

// DeepLinkByValue is the offer by value: openid-credential-offer://?credential_offer=...
func (o *Offer) DeepLinkByValue() string {
	return OfferScheme + "?" + url.Values{"credential_offer": {string(o.Object)}}.Encode()
}

// CreateOffer checks the request (type, the client's scope, claims, formats), stores a new
// offer with a fresh pre-authorized code (and transaction code) and returns it.
func (s *Service) CreateOffer(ctx context.Context, req OfferRequest) (*Offer, error) {
	var t *issuer.CredentialType
	for _, ct := range s.is.Types() {
		if ct.Name == req.Type {
			t = &ct
		}
	}
	if t == nil {
		return nil, errs.Errorf(issuer.CodeUnknownType, "unknown credential type: %q", req.Type)
	}
	if !req.Client.Allows(t.Name) {
		return nil, errs.Errorf(issuer.CodeForbidden, "forbidden: API key %s may not issue %s", req.Client.ID, t.Name)
	}
	if req.Subject == nil {
		req.Subject = map[string]any{}
	}
	if err := t.CheckSubject(req.Subject); err != nil {
		return nil, err
	}
	if req.TxCodeLength != 0 && (req.TxCodeLength < 4 || req.TxCodeLength > 8) {
		return nil, errs.Errorf(issuer.CodeInvalidRequest, "invalid request: a transaction code has 4 to 8 digits, not %d", req.TxCodeLength)
	}
	confs, order := s.configurations()
	var ids []string
	for _, id := range order {
		c := confs[id]
		if c.typ.Name != t.Name {
			continue
		}
		if len(req.Formats) == 0 || slices.ContainsFunc(req.Formats, func(f string) bool {
			pf, err := issuer.ParseFormat(f)
			return err == nil && pf == c.format
		}) {
			ids = append(ids, id)
		}
	}
	for _, f := range req.Formats {
		pf, err := issuer.ParseFormat(f)
		if err != nil || !slices.ContainsFunc(ids, func(id string) bool { return confs[id].format == pf }) {
			return nil, errs.Errorf(issuer.CodeUnsupportedFormat, "unsupported format: %q is not offered over OpenID4VCI for %s", f, t.Name)
		}
	}
	now := s.cfg.Clock().UTC()
	code := randomToken(32)
	rec := &OfferRecord{ID: randomToken(24), CodeHash: hash(code), Type: t.Name, Subject: req.Subject,
		Configurations: ids, Created: now, Expires: now.Add(s.cfg.OfferTTL)}
	if req.Client != nil {
		rec.Client, rec.Key = req.Client.Owner(), req.Client.ID
	}
	out := &Offer{ID: rec.ID, URI: s.OfferURI(rec.ID), Expires: rec.Expires, Configurations: ids}
	if req.TxCodeLength > 0 {
		out.TxCode = digits(req.TxCodeLength)
		rec.TxCodeHash = hash(out.TxCode)
		rec.TxCode = &TxCode{InputMode: "numeric", Length: req.TxCodeLength, Description: req.TxCodeDescription}
	}
	obj, err := s.offerObject(rec, code)
	if err != nil {
		return nil, err
	}
	out.Object = obj
	// The offer object holds the code: store it with the record so that the offer can be
	// fetched by reference, while the code itself is indexed only by its hash.
	if err := s.store.PutOffer(ctx, withObject(rec, obj)); err != nil {
		return nil, err
	}
	s.log.Info("credential offer created", "offer", rec.ID, "type", rec.Type, "client", rec.Client,
		"configurations", ids, "tx_code", rec.TxCode != nil)
	return out, nil
}

// withObject keeps the offer object in the record (see OfferRecord.Object).
func withObject(rec *OfferRecord, obj json.RawMessage) *OfferRecord {
	rec.Object = obj
	return rec
}

// offerObject is the credential offer object of a record.
func (s *Service) offerObject(rec *OfferRecord, code string) (json.RawMessage, error) {
	grant := map[string]any{"pre-authorized_code": code}
	if rec.TxCode != nil {
		grant["tx_code"] = rec.TxCode
	}
	b, err := json.Marshal(map[string]any{
		"credential_issuer":            s.IssuerID(),
		"credential_configuration_ids": rec.Configurations,
		"grants":                       map[string]any{GrantPreAuthorized: grant},
	})
	if err != nil {
		return nil, errs.Wrap(issuer.CodeInvalidRequest, "invalid request: encoding the offer", err)
	}
	return b, nil
}

// OfferURI is the credential_offer_uri of an offer id.
func (s *Service) OfferURI(id string) string { return s.IssuerID() + PathOffers + "/" + id }

// OfferObject returns the credential offer object of a live offer (the wallet's fetch of
// credential_offer_uri), or ErrOfferNotFound for an unknown, expired or redeemed one.
func (s *Service) OfferObject(ctx context.Context, id string) (json.RawMessage, error) {
	rec, err := s.store.Offer(ctx, Lookup{Kind: ByID, Value: id})
	if err != nil {
		return nil, err
	}
	if rec.Redeemed || !s.cfg.Clock().Before(rec.Expires) || len(rec.Object) == 0 {
		return nil, errs.Errorf(CodeOfferNotFound, "credential offer not found: it expired or was used")
	}
	return rec.Object, nil
}

// digits returns n random decimal digits.
func digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}
