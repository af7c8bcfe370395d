package console

import (
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
)

type signinData struct {
	Next string
	// Cert is the account name of a verified client certificate (mTLS), if any.
	Cert string
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request, q *request) {
	if q.sess.signedIn() {
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
		return
	}
	d := signinData{Next: localNext(r.URL.Query().Get("next"))}
	if a, ok := c.certAccount(r); ok {
		d.Cert = a.Name
	}
	c.render(w, r, q, http.StatusOK, "signin", &view{Title: translator(q.lang).T("signin"), Data: d})
}

// certAccount returns the account of the request's verified client certificate.
func (c *Console) certAccount(r *http.Request) (trustregistry.Account, bool) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.PeerCertificates) == 0 {
		return trustregistry.Account{}, false
	}
	a, err := c.svc.AccountForCert(r.Context(), r.TLS.PeerCertificates[0])
	return a, err == nil
}

// signin checks the bearer token (and, under mTLS, that the client certificate names the same
// account), rotates the session id and asks for the passkey when one is owed.
func (c *Console) signin(w http.ResponseWriter, r *http.Request, q *request) {
	tr := translator(q.lang)
	d := signinData{Next: localNext(r.PostFormValue("next"))}
	token := strings.TrimSpace(r.PostFormValue("token"))
	acct, err := c.svc.Authenticate(r.Context(), token)
	if err == nil && r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		if ca, ok := c.certAccount(r); !ok || ca.Name != acct.Name {
			err = errs.Errorf(trustregistry.CodeUnauthorized, "client certificate and token name different accounts: %w", trustregistry.ErrUnauthenticated)
		}
	}
	if err != nil {
		if !errors.Is(err, trustregistry.ErrUnauthenticated) {
			c.errorPage(w, r, q, err)
			return
		}
		c.log.Info("console: sign-in refused", "err", err)
		status := c.statusOf(err)
		if left, over := c.cfg.Failures.Fail(failureKeys(r, token)...); over {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(left.Seconds()))))
			status = http.StatusTooManyRequests
		}
		c.render(w, r, q, status, "signin", &view{Title: tr.T("signin"), Error: tr.T("signin_failed"), Data: d})
		return
	}
	creds, err := c.passkeys.load(r.Context(), acct.Name)
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	id := c.sessions.rotate(q.sess)
	c.sessions.update(func() {
		q.sess.account, q.sess.token = acct.Name, trustregistry.HashToken(token)
		q.sess.pending = len(creds) > 0 || c.cfg.RequirePasskey
	})
	if !q.sess.pending && c.passkeys.legacy(r.Context(), acct.Name) {
		c.sessions.update(func() { q.sess.pending = true })
	}
	c.setSessionCookie(w, r, id)
	c.log.Info("console: signed in", "account", acct.Name, "passkey_owed", q.sess.pending)
	if q.sess.pending {
		http.Redirect(w, r, Prefix+"/passkey?next="+escapeQuery(d.Next), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, q *request) {
	if q.sess.account != "" {
		c.log.Info("console: signed out", "account", q.sess.account)
	}
	c.sessions.drop(q.sess)
	c.clearSessionCookie(w, r)
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
}

// switchLang stores the chosen language in a cookie and returns to the page.
func (c *Console) switchLang(w http.ResponseWriter, r *http.Request, q *request) {
	lang := r.PostFormValue("lang")
	if _, ok := catalogue[lang]; !ok {
		lang = LangEnglish
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: Prefix, MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	back := r.PostFormValue("back")
	if back == Prefix+"/signin" || strings.HasPrefix(back, Prefix+"/signin?") {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, localNext(back), http.StatusSeeOther)
}

// failureKeys are the keys a failed sign-in counts against: the client address and, when the
// token is well formed, its public id (the admin API counts the same keys).
func failureKeys(r *http.Request, token string) []string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	keys := []string{"addr " + host}
	if id, ok := trustregistry.TokenID(token); ok && id != "" {
		keys = append(keys, "token "+id)
	}
	return keys
}
