package openid4vci

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/vc"
)

// CredentialRequest is a credential request (OpenID4VCI 1.0 section 8.2), as JSON.
type CredentialRequest struct {
	CredentialConfigurationID string `json:"credential_configuration_id"`
	// CredentialIdentifier is refused: the token response hands out no credential identifiers.
	CredentialIdentifier string `json:"credential_identifier,omitempty"`
	// Proof is the single-proof form of drafts before 1.0, still sent by some wallets.
	Proof *struct {
		ProofType string `json:"proof_type"`
		JWT       string `json:"jwt"`
	} `json:"proof,omitempty"`
	// Proofs holds one or more proofs of one type; only jwt is supported.
	Proofs map[string][]json.RawMessage `json:"proofs,omitempty"`
	// CredentialResponseEncryption is refused: responses are not encrypted.
	CredentialResponseEncryption json.RawMessage `json:"credential_response_encryption,omitempty"`
}

// IssuedCredential is one credential of a credential response: a string (SD-JWT VC,
// jwt_vc_json) or a JSON object (ldp_vc).
type IssuedCredential struct {
	Credential json.RawMessage `json:"credential"`
}

// CredentialResponse is a credential response with the credentials issued immediately.
type CredentialResponse struct {
	Credentials    []IssuedCredential `json:"credentials"`
	NotificationID string             `json:"notification_id"`
	// Warnings is the idport extension member idport_warnings: the reservations of a warn-mode
	// registry check (issuer_not_authorised, registry_stale), once per code, so that the wallet
	// learns what the VC-API caller learns. Absent when there is none.
	Warnings []issuer.Warning `json:"idport_warnings,omitempty"`
	// IDs are the issued credentials' ids (for status changes); not sent to the wallet.
	IDs []string `json:"-"`
	// Format and Type describe what was issued (for metrics); not sent to the wallet.
	Format vc.Format `json:"-"`
	Type   string    `json:"-"`
}

// proofJWTs returns the jwt proofs of a request.
func (r *CredentialRequest) proofJWTs(max int) ([]string, error) {
	switch {
	case r.Proof != nil && r.Proofs != nil:
		return nil, errs.Errorf(CodeInvalidCredentialRequest, "invalid credential request: give proof or proofs, not both")
	case r.Proof != nil:
		if r.Proof.ProofType != "jwt" {
			return nil, errs.Errorf(CodeInvalidProof, "invalid proof: proof type %q is not supported (use jwt)", r.Proof.ProofType)
		}
		return []string{r.Proof.JWT}, nil
	case r.Proofs == nil:
		return nil, errs.Errorf(CodeInvalidProof, "invalid proof: the request has no proof; every credential is bound to a holder key")
	}
	if len(r.Proofs) != 1 || r.Proofs["jwt"] == nil {
		return nil, errs.Errorf(CodeInvalidProof, "invalid proof: proofs must hold exactly one proof type, jwt")
	}
	raw := r.Proofs["jwt"]
	if len(raw) == 0 || len(raw) > max {
		return nil, errs.Errorf(CodeInvalidCredentialRequest, "invalid credential request: %d proofs; send 1 to %d", len(raw), max)
	}
	out := make([]string, len(raw))
	for i, p := range raw {
		if err := json.Unmarshal(p, &out[i]); err != nil {
			return nil, errs.Errorf(CodeInvalidProof, "invalid proof: proofs.jwt[%d] is not a string", i)
		}
	}
	return out, nil
}

// Credential serves a credential request made with an access token: it verifies every proof,
// checks the token and the configuration (offered to this token, not yet issued under it),
// takes the proofs' c_nonce, and issues one credential per proof through the engine, each
// bound to its proof's key. Over a RecordingStore (issuer/boltstore) the reservation, the
// nonce and the issuance records are one durable transaction; over another Store, the
// reservation and the nonce are one, each issuance record another. A request refused at any
// check changes nothing stored.
func (s *Service) Credential(ctx context.Context, accessToken string, req CredentialRequest) (*CredentialResponse, error) {
	now := s.cfg.Clock()
	if accessToken == "" {
		return nil, errs.Errorf(CodeInvalidToken, "invalid access token: none given")
	}
	switch {
	case req.CredentialIdentifier != "":
		return nil, errs.Errorf(CodeInvalidCredentialRequest, "invalid credential request: credential_identifier is not supported; send credential_configuration_id")
	case len(req.CredentialResponseEncryption) > 0:
		return nil, errs.Errorf(CodeInvalidCredentialRequest, "invalid credential request: credential response encryption is not supported")
	case req.CredentialConfigurationID == "":
		return nil, errs.Errorf(CodeInvalidCredentialRequest, "invalid credential request: credential_configuration_id is missing")
	}
	confs, _ := s.configurations()
	conf, ok := confs[req.CredentialConfigurationID]
	if !ok {
		return nil, errs.Errorf(CodeUnknownConfiguration, "unknown credential configuration: %q", req.CredentialConfigurationID)
	}
	jwts, err := req.proofJWTs(s.cfg.BatchSize)
	if err != nil {
		return nil, err
	}
	holders := make([]holderKey, len(jwts))
	var nonce Nonce
	for i, j := range jwts {
		hk, n, err := s.verifyProof(ctx, j, now)
		if err != nil {
			return nil, err
		}
		if i > 0 && n.Value != nonce.Value {
			return nil, errs.Errorf(CodeInvalidNonce, "invalid nonce: every proof of a request carries the same c_nonce")
		}
		holders[i], nonce = hk, n
	}
	if rs, ok := s.store.(RecordingStore); ok {
		return s.credentialOneTransaction(ctx, rs, accessToken, conf, holders, nonce, now)
	}
	return s.credentialThreeTransactions(ctx, accessToken, conf, holders, nonce, now)
}

// reserve is the authoritative check and reservation of a credential request inside the
// store's transaction: a live token, a configuration offered to it and not yet issued under
// it. It marks the configuration issued, registers the notification id, appends ids to the
// offer's credentials, and drops the claims once everything offered is issued. rec receives
// the offer as it was (claims included).
func (s *Service) reserve(now time.Time, conf configuration, count int, notification string, ids []string, rec *OfferRecord) UpdateFunc {
	return func(r *OfferRecord) (bool, error) {
		switch {
		case !now.Before(r.TokenExpires):
			return false, errs.Errorf(CodeInvalidToken, "invalid access token: expired")
		case !s.keyActive(r):
			return false, errs.Errorf(CodeRequestDenied, "credential request denied: the offer was withdrawn (the API key that made it no longer works)")
		case !slices.Contains(r.Configurations, conf.id):
			return false, errs.Errorf(CodeUnknownConfiguration, "unknown credential configuration: %q is not offered to this access token", conf.id)
		case r.Issued[conf.id] > 0:
			return false, errs.Errorf(CodeRequestDenied, "credential request denied: %s was already issued under this access token", conf.id)
		}
		*rec = *r
		rec.Subject = maps.Clone(r.Subject)
		if r.Issued == nil {
			r.Issued = map[string]int{}
		}
		if r.Notifications == nil {
			r.Notifications = map[string]string{}
		}
		r.Issued[conf.id] = count
		r.Notifications[notification] = ""
		r.Credentials = append(r.Credentials, ids...)
		if len(r.Issued) == len(r.Configurations) {
			r.Subject = nil // everything offered is issued: keep no claims
		}
		return true, nil
	}
}

func tokenErr(err error) error {
	if errs.CodeOf(err) == CodeOfferNotFound {
		return errs.Errorf(CodeInvalidToken, "invalid access token: unknown")
	}
	return err
}

// credentialOneTransaction serves a request over a RecordingStore: it reads the offer and
// checks the request (no write), signs one credential per proof with the engine holding back
// the issuance records, then reserves the configuration, takes the c_nonce and logs the
// records in one transaction. A request that loses a race (nonce or configuration taken
// meanwhile) is refused there and its signed credentials are dropped: their status entries
// stay unallocated in the store.
func (s *Service) credentialOneTransaction(ctx context.Context, rs RecordingStore, accessToken string, conf configuration, holders []holderKey, nonce Nonce, now time.Time) (*CredentialResponse, error) {
	l := Lookup{Kind: ByToken, Value: hash(accessToken)}
	pre, err := rs.Offer(ctx, l)
	if err != nil {
		return nil, tokenErr(err)
	}
	var rec OfferRecord
	if _, err := s.reserve(now, conf, len(holders), "", nil, &rec)(pre); err != nil {
		return nil, err
	}
	var recs []issuer.IssueRecord
	record := func(_ context.Context, r issuer.IssueRecord) error {
		recs = append(recs, r)
		return nil
	}
	out := &CredentialResponse{NotificationID: randomToken(16), Format: conf.format, Type: rec.Type}
	for _, hk := range holders {
		iss, err := s.issue(ctx, &rec, conf, hk, record)
		if err != nil {
			return nil, err
		}
		out.add(iss)
	}
	if err := rs.UpdateOfferRecording(ctx, l, nonce, now, s.reserve(now, conf, len(holders), out.NotificationID, out.IDs, &rec), recs); err != nil {
		return nil, tokenErr(err)
	}
	s.log.Info("OpenID4VCI credentials issued", "offer", rec.ID, "configuration", conf.id, "count", len(out.IDs))
	return out, nil
}

// credentialThreeTransactions serves a request over a Store that does not keep the engine's
// records: reserve (taking the nonce), issue through the engine (its own durable record), then
// note the credential ids on the offer; a failed issuance releases the reservation.
func (s *Service) credentialThreeTransactions(ctx context.Context, accessToken string, conf configuration, holders []holderKey, nonce Nonce, now time.Time) (*CredentialResponse, error) {
	notification := randomToken(16)
	var rec OfferRecord
	err := s.store.UpdateOffer(ctx, Lookup{Kind: ByToken, Value: hash(accessToken)}, nonce, now, s.reserve(now, conf, len(holders), notification, nil, &rec))
	if err != nil {
		return nil, tokenErr(err)
	}
	out := &CredentialResponse{NotificationID: notification, Format: conf.format, Type: rec.Type}
	for _, hk := range holders {
		iss, err := s.issue(ctx, &rec, conf, hk, nil)
		if err != nil {
			s.release(ctx, accessToken, conf.id, notification, rec.Subject)
			return nil, err
		}
		out.add(iss)
	}
	if err := s.store.UpdateOffer(ctx, Lookup{Kind: ByToken, Value: hash(accessToken)}, Nonce{}, now, func(r *OfferRecord) (bool, error) {
		r.Credentials = append(r.Credentials, out.IDs...)
		return true, nil
	}); err != nil {
		s.log.Warn("recording issued credential ids on the offer", "offer", rec.ID, "err", err)
	}
	s.log.Info("OpenID4VCI credentials issued", "offer", rec.ID, "configuration", conf.id, "count", len(out.IDs))
	return out, nil
}

type issuedOne struct {
	id       string
	wire     json.RawMessage
	warnings []issuer.Warning
}

// add appends one issued credential to the response, keeping one warning per code.
func (r *CredentialResponse) add(iss issuedOne) {
	r.Credentials = append(r.Credentials, IssuedCredential{Credential: iss.wire})
	r.IDs = append(r.IDs, iss.id)
	for _, w := range iss.warnings {
		if !slices.ContainsFunc(r.Warnings, func(x issuer.Warning) bool { return x.Code == w.Code }) {
			r.Warnings = append(r.Warnings, w)
		}
	}
}

// issue issues one credential through the engine, bound to hk; record, when not nil, takes
// the issuance record (issuer.Request.Record).
func (s *Service) issue(ctx context.Context, rec *OfferRecord, conf configuration, hk holderKey, record func(context.Context, issuer.IssueRecord) error) (issuedOne, error) {
	subject := rec.Subject
	if conf.format != vc.FormatSDJWT {
		// A W3C credential binds its holder by credentialSubject.id: the proven key's DID
		// (its kid), else the engine names the key's did:jwk; never an id the offer carried.
		subject = maps.Clone(rec.Subject)
		if subject == nil {
			subject = map[string]any{}
		}
		delete(subject, "id")
		if hk.did != "" {
			subject["id"] = hk.did
		}
	}
	out, err := s.is.Issue(ctx, issuer.Request{Type: rec.Type, Subject: subject, Format: string(conf.format),
		HolderJWK: hk.jwk, Client: &issuer.Client{ID: rec.Client, Scopes: []string{rec.Type}}, Record: record})
	if err != nil {
		return issuedOne{}, err
	}
	wire := out.Document
	if conf.format != vc.FormatDI {
		wire, _ = json.Marshal(out.Token)
	}
	return issuedOne{id: out.ID, wire: wire, warnings: out.Warnings}, nil
}

// release undoes the reservation of a configuration whose issuance failed, so the wallet can
// retry with a fresh nonce.
func (s *Service) release(ctx context.Context, token, conf, notification string, subject map[string]any) {
	err := s.store.UpdateOffer(ctx, Lookup{Kind: ByToken, Value: hash(token)}, Nonce{}, s.cfg.Clock(), func(r *OfferRecord) (bool, error) {
		delete(r.Issued, conf)
		delete(r.Notifications, notification)
		if r.Subject == nil {
			r.Subject = subject
		}
		return true, nil
	})
	if err != nil {
		s.log.Warn("releasing a credential configuration after a failed issuance", "err", err)
	}
}

// Notification events (OpenID4VCI 1.0 section 11.1).
var notificationEvents = []string{"credential_accepted", "credential_failure", "credential_deleted"}

// NotificationRequest is a notification request.
type NotificationRequest struct {
	NotificationID   string `json:"notification_id"`
	Event            string `json:"event"`
	EventDescription string `json:"event_description,omitempty"`
}

// Notify records a wallet's notification about credentials issued under accessToken.
func (s *Service) Notify(ctx context.Context, accessToken string, req NotificationRequest) error {
	if !slices.Contains(notificationEvents, req.Event) {
		return errs.Errorf(CodeInvalidNotification, "invalid notification request: event %q (want one of %v)", req.Event, notificationEvents)
	}
	if accessToken == "" {
		return errs.Errorf(CodeInvalidToken, "invalid access token: none given")
	}
	now := s.cfg.Clock()
	var offer string
	err := s.store.UpdateOffer(ctx, Lookup{Kind: ByToken, Value: hash(accessToken)}, Nonce{}, now, func(r *OfferRecord) (bool, error) {
		if !now.Before(r.TokenExpires) {
			return false, errs.Errorf(CodeInvalidToken, "invalid access token: expired")
		}
		if _, ok := r.Notifications[req.NotificationID]; !ok {
			return false, errs.Errorf(CodeInvalidNotificationID, "invalid notification id: unknown for this access token")
		}
		offer = r.ID
		r.Notifications[req.NotificationID] = req.Event
		return true, nil
	})
	if errs.CodeOf(err) == CodeOfferNotFound {
		return errs.Errorf(CodeInvalidToken, "invalid access token: unknown")
	}
	if err != nil {
		return err
	}
	s.log.Info("OpenID4VCI notification", "offer", offer, "event", req.Event)
	return nil
}
