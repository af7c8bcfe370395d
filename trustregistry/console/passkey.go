package console

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
)

// passkeyPrefix names the registry secrets that hold an account's passkeys (public keys and
// counters only: nothing secret, but kept with the registry's data so they survive restarts
// and backups).
const passkeyPrefix = "console-passkeys/"

// passkeyStore keeps the WebAuthn credentials of each account in the registry's store.
type passkeyStore struct {
	store trustregistry.Store
	mu    sync.Mutex
}

func (p *passkeyStore) load(ctx context.Context, account string) ([]webauthn.Credential, error) {
	b, err := p.store.GetSecret(ctx, passkeyPrefix+account)
	if errors.Is(err, trustregistry.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading passkeys of %s: %w", account, err)
	}
	var creds []webauthn.Credential
	if err := json.Unmarshal(b, &creds); err != nil {
		return nil, fmt.Errorf("decoding passkeys of %s: %w", account, err)
	}
	return creds, nil
}

// save adds cred or replaces the credential with its id.
func (p *passkeyStore) save(ctx context.Context, account string, cred webauthn.Credential) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	creds, err := p.load(ctx, account)
	if err != nil {
		return err
	}
	replaced := false
	for i := range creds {
		if string(creds[i].ID) == string(cred.ID) {
			creds[i], replaced = cred, true
		}
	}
	if !replaced {
		creds = append(creds, cred)
	}
	b, err := json.Marshal(creds)
	if err != nil {
		return err
	}
	if err := p.store.PutSecret(ctx, passkeyPrefix+account, b); err != nil {
		return fmt.Errorf("storing passkeys of %s: %w", account, err)
	}
	return nil
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
}

func (c *Console) passkeyPage(w http.ResponseWriter, r *http.Request, q *request) {
	creds, err := c.passkeys.load(r.Context(), q.sess.account)
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	d := passkeyData{Next: localNext(r.URL.Query().Get("next")), Pending: q.sess.pending, Count: len(creds),
		Enrol: q.sess.pending && len(creds) == 0}
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
	if err := c.passkeys.save(r.Context(), u.name, *cred); err != nil {
		c.jsonError(w, err)
		return
	}
	c.finishSecondFactor(w, r, q)
	c.log.Info("console: passkey registered", "account", u.name)
	writeJSON(w, map[string]string{"next": localNext(r.URL.Query().Get("next"))})
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
	if err := c.passkeys.save(r.Context(), u.name, *cred); err != nil { // the new sign counter
		c.jsonError(w, err)
		return
	}
	c.finishSecondFactor(w, r, q)
	c.log.Info("console: passkey sign-in", "account", u.name)
	writeJSON(w, map[string]string{"next": localNext(r.URL.Query().Get("next"))})
}

// finishSecondFactor completes a pending sign-in (with a fresh session id).
func (c *Console) finishSecondFactor(w http.ResponseWriter, r *http.Request, q *request) {
	if !q.sess.pending {
		return
	}
	id := c.sessions.rotate(q.sess)
	c.sessions.update(func() { q.sess.pending = false })
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
