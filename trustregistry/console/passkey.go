package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
)

// passkeyStore keeps the WebAuthn credentials of each account with the account in the
// registry (Service.AddPasskey): each enrolment is audited, and the registry's integrity check
// covers the credentials' ids and public keys.
type passkeyStore struct {
	svc *trustregistry.Service
}

// load returns the account's credentials; a credential's id and public key come from the fields
// the audit chain covers, never from the console's own record of it.
func (p *passkeyStore) load(ctx context.Context, account string) ([]webauthn.Credential, error) {
	pks, err := p.svc.Passkeys(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("loading passkeys of %s: %w", account, err)
	}
	creds := make([]webauthn.Credential, len(pks))
	for i, pk := range pks {
		if len(pk.Credential) > 0 {
			if err := json.Unmarshal(pk.Credential, &creds[i]); err != nil {
				return nil, fmt.Errorf("decoding passkeys of %s: %w", account, err)
			}
		}
		creds[i].ID, creds[i].PublicKey = pk.ID, pk.PublicKey
	}
	return creds, nil
}

// legacyPasskeyPrefix names the registry secrets where earlier versions kept an account's
// passkeys, outside the audit chain. They are no longer read.
const legacyPasskeyPrefix = "console-passkeys/"

// legacy reports whether an earlier version kept passkeys for account outside the audit chain:
// the account then owes a passkey, registered again at its next sign-in, rather than fall back
// to its token alone.
func (p *passkeyStore) legacy(ctx context.Context, account string) bool {
	b, err := p.svc.Store().GetSecret(ctx, legacyPasskeyPrefix+account)
	return err == nil && len(b) > 2 // "[]" or "null" hold none
}

// warnUnaudited logs the accounts whose passkeys were registered by an earlier version (kept
// outside the audit chain, so nothing proves them): their owners register them again.
func (p *passkeyStore) warnUnaudited(ctx context.Context, log *slog.Logger) {
	accounts, err := p.svc.Store().ListAccounts(ctx)
	if err != nil {
		return
	}
	for _, a := range accounts {
		if len(a.Passkeys) == 0 && p.legacy(ctx, a.Name) {
			log.Warn("console: passkeys registered before passkeys were audited are no longer accepted; the account's owner registers one again at the next sign-in",
				"account", a.Name)
		}
	}
}

func toPasskey(cred webauthn.Credential) (trustregistry.Passkey, error) {
	b, err := json.Marshal(cred)
	if err != nil {
		return trustregistry.Passkey{}, err
	}
	return trustregistry.Passkey{ID: cred.ID, PublicKey: cred.PublicKey, Credential: b}, nil
}

// add enrols a new credential (audited by the registry).
func (p *passkeyStore) add(ctx context.Context, account string, cred webauthn.Credential) error {
	pk, err := toPasskey(cred)
	if err != nil {
		return err
	}
	if err := p.svc.AddPasskey(ctx, account, pk); err != nil {
		return fmt.Errorf("storing passkeys of %s: %w", account, err)
	}
	return nil
}

// used stores a credential after a sign-in with it (its new sign counter).
func (p *passkeyStore) used(ctx context.Context, account string, cred webauthn.Credential) error {
	pk, err := toPasskey(cred)
	if err != nil {
		return err
	}
	return p.svc.RecordPasskeyUse(ctx, account, pk)
}

// waUser is an account as WebAuthn sees it.
type waUser struct {
	name  string
	creds []webauthn.Credential
}

func (u waUser) WebAuthnID() []byte {
	h := sha256.Sum256([]byte("idport-console\x00" + u.name))
	return h[:16]
}
func (u waUser) WebAuthnName() string                       { return u.name }
func (u waUser) WebAuthnDisplayName() string                { return u.name }
func (u waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// relyingParty returns the WebAuthn relying party of r: the configured id and origins, or the
// request's own host and origin.
func (c *Console) relyingParty(r *http.Request) (*webauthn.WebAuthn, error) {
	id := c.cfg.RPID
	if id == "" {
		id = r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			id = h
		}
	}
	origins := c.cfg.Origins
	if len(origins) == 0 {
		origins = []string{requestOrigin(r)}
	}
	return webauthn.New(&webauthn.Config{RPID: id, RPDisplayName: "idport trust registry", RPOrigins: origins})
}

type passkeyData struct {
	Next    string
	Pending bool
	Count   int
	// Enrol is true when the account owes a passkey it has not registered yet.
	Enrol bool
	// IDs are the credential ids (base64url) of the account's passkeys, once fully signed in.
	IDs []string
}

func (c *Console) passkeyPage(w http.ResponseWriter, r *http.Request, q *request) {
	creds, err := c.passkeys.load(r.Context(), q.sess.account)
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	d := passkeyData{Next: localNext(r.URL.Query().Get("next")), Pending: q.sess.pending, Count: len(creds),
		Enrol: q.sess.pending && len(creds) == 0}
	if !q.sess.pending {
		for _, cr := range creds {
			d.IDs = append(d.IDs, base64.RawURLEncoding.EncodeToString(cr.ID))
		}
	}
	c.render(w, r, q, http.StatusOK, "passkey", &view{Title: translator(q.lang).T("passkeys"), Nav: "passkey", Data: d})
}

func (c *Console) user(r *http.Request, q *request) (waUser, error) {
	creds, err := c.passkeys.load(r.Context(), q.sess.account)
	return waUser{name: q.sess.account, creds: creds}, err
}

func (c *Console) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request, q *request) {
	u, err := c.user(r, q)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	// A half-signed-in account may only enrol its first passkey, never add one beside those
	// it owes.
	if q.sess.pending && len(u.creds) > 0 {
		c.jsonError(w, errs.Errorf(trustregistry.CodeForbidden, "sign in with your passkey first: %w", trustregistry.ErrForbidden))
		return
	}
	rp, err := c.relyingParty(r)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	exclude := make([]protocol.CredentialDescriptor, len(u.creds))
	for i, cr := range u.creds {
		exclude[i] = cr.Descriptor()
	}
	opts, sd, err := rp.BeginRegistration(u, webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred))
	if err != nil {
		c.jsonError(w, passkeyErr(err))
		return
	}
	c.sessions.update(func() { q.sess.webauthn = sd })
	writeJSON(w, opts)
}

func (c *Console) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request, q *request) {
	u, err := c.user(r, q)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	sd := c.takeCeremony(q)
	if sd == nil || (q.sess.pending && len(u.creds) > 0) {
		c.jsonError(w, passkeyErr(errors.New("no registration in progress")))
		return
	}
	rp, err := c.relyingParty(r)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	cred, err := rp.FinishRegistration(u, *sd, r)
	if err != nil {
		c.jsonError(w, passkeyErr(err))
		return
	}
	if err := c.passkeys.add(r.Context(), u.name, *cred); err != nil {
		c.jsonError(w, err)
		return
	}
	c.finishSecondFactor(w, r, q, cred.ID)
	c.log.Info("console: passkey registered", "account", u.name)
	writeJSON(w, map[string]string{"next": localNext(r.URL.Query().Get("next"))})
}

// passkeyRemove removes one of the signed-in account's passkeys (audited by the registry).
func (c *Console) passkeyRemove(w http.ResponseWriter, r *http.Request, q *request) {
	id, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("id"))
	if err != nil || len(id) == 0 {
		c.errorPage(w, r, q, errs.Errorf(trustregistry.CodeBadParameter, "id: not a passkey id"))
		return
	}
	if err := c.svc.RemovePasskey(r.Context(), q.sess.account, id); err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	c.log.Info("console: passkey removed", "account", q.sess.account)
	http.Redirect(w, r, Prefix+"/passkey", http.StatusSeeOther)
}

func (c *Console) passkeyLoginBegin(w http.ResponseWriter, r *http.Request, q *request) {
	u, err := c.user(r, q)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	rp, err := c.relyingParty(r)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	opts, sd, err := rp.BeginLogin(u)
	if err != nil {
		c.jsonError(w, passkeyErr(err))
		return
	}
	c.sessions.update(func() { q.sess.webauthn = sd })
	writeJSON(w, opts)
}

func (c *Console) passkeyLoginFinish(w http.ResponseWriter, r *http.Request, q *request) {
	u, err := c.user(r, q)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	sd := c.takeCeremony(q)
	if sd == nil {
		c.jsonError(w, passkeyErr(errors.New("no passkey sign-in in progress")))
		return
	}
	rp, err := c.relyingParty(r)
	if err != nil {
		c.jsonError(w, err)
		return
	}
	cred, err := rp.FinishLogin(u, *sd, r)
	if err != nil {
		c.jsonError(w, passkeyErr(err))
		return
	}
	if err := c.passkeys.used(r.Context(), u.name, *cred); err != nil { // the new sign counter
		c.jsonError(w, err)
		return
	}
	c.finishSecondFactor(w, r, q, cred.ID)
	c.log.Info("console: passkey sign-in", "account", u.name)
	writeJSON(w, map[string]string{"next": localNext(r.URL.Query().Get("next"))})
}

// finishSecondFactor completes a pending sign-in with the passkey of credential id (with a
// fresh session id); the session lasts only as long as that passkey stays the account's.
func (c *Console) finishSecondFactor(w http.ResponseWriter, r *http.Request, q *request, passkey []byte) {
	if !q.sess.pending {
		return
	}
	id := c.sessions.rotate(q.sess)
	c.sessions.update(func() { q.sess.pending, q.sess.passkey = false, bytes.Clone(passkey) })
	c.setSessionCookie(w, r, id)
}

func (c *Console) takeCeremony(q *request) *webauthn.SessionData {
	var sd *webauthn.SessionData
	c.sessions.update(func() { sd, q.sess.webauthn = q.sess.webauthn, nil })
	return sd
}

func passkeyErr(err error) error {
	return errs.Wrap(trustregistry.CodeUnauthorized, "the passkey was not accepted", err)
}

func (c *Console) jsonError(w http.ResponseWriter, err error) {
	status := c.statusOf(err)
	if status >= 500 {
		c.log.Error("console: passkey step failed", "err", err)
	} else {
		c.log.Info("console: passkey step refused", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": publicMessage(err)})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func escapeQuery(s string) string { return url.QueryEscape(s) }
