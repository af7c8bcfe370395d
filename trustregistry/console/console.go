// Package console is the regulators' web console of the trust registry: server-rendered
// html/template pages, in English and Simplified Chinese, over the same trustregistry.Service
// methods the admin API calls (maker-checker, roles, validation and audit hold alike; the
// console has no path the API lacks). Sign-in takes the account's bearer token (or its
// client certificate under mTLS) once and keeps a server-side session; passkeys
// (WebAuthn) are a second factor. Every form carries a synchronizer CSRF token and is checked
// against its Origin; pages are served under a strict Content-Security-Policy with assets
// embedded in the binary and no third-party code.
//
// The package knows net/http only: trustregistry/httpapi mounts Handler under /console and
// supplies its one code -> status table as Config.Status.
package console

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/idport/idport/pkg/authlimit"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
)

// Prefix is the path the console is served under.
const Prefix = "/console"

// Cookie names.
const (
	sessionCookie = "idport_console"
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures a Console.
type Config struct {
	// Service is the registry the console acts on (required).
	Service *trustregistry.Service
	// Status maps an error to the HTTP status of the registry's API (required; httpapi passes
	// its one table).
	Status func(error) int
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// IdleTimeout ends a session after this long without a request (default 15 min).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after sign-in (default 8 h).
	AbsoluteTimeout time.Duration
	// RequirePasskey makes a passkey mandatory for every account: one without a passkey must
	// register one before the console lets it in.
	RequirePasskey bool
	// RPID is the WebAuthn relying party id (a domain); empty means the host of each request.
	RPID string
	// Origins are the origins passkeys and forms may come from; empty means the request's own
	// origin (scheme and Host).
	Origins []string
	// Failures counts failed sign-ins per client address and token id; over its budget a
	// sign-in that fails answers 429 (a valid token is always accepted). httpapi passes the admin
	// API's limiter; nil means a console-only one (10 failures a minute).
	Failures *authlimit.Limiter
	// Now is the clock (tests).
	Now func() time.Time
}

// Console serves the web console.
type Console struct {
	cfg      Config
	svc      *trustregistry.Service
	log      *slog.Logger
	sessions *sessions
	pages    *pages
	mux      *http.ServeMux
	passkeys *passkeyStore
}

// New returns a console over cfg.Service.
func New(cfg Config) (*Console, error) {
	if cfg.Service == nil || cfg.Status == nil {
		return nil, errors.New("console: Service and Status are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.AbsoluteTimeout <= 0 {
		cfg.AbsoluteTimeout = DefaultAbsoluteTimeout
	}
	if cfg.Failures == nil {
		cfg.Failures = authlimit.New(10, time.Minute, cfg.Now)
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, svc: cfg.Service, log: cfg.Logger, pages: p,
		sessions: newSessions(cfg.IdleTimeout, cfg.AbsoluteTimeout, cfg.Now),
		passkeys: &passkeyStore{svc: cfg.Service}}
	c.passkeys.warnUnaudited(context.Background(), c.log)
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET "+Prefix+"/static/", http.StripPrefix(Prefix+"/static/", cacheStatic(http.FileServerFS(static))))
	m.HandleFunc("GET "+Prefix+"/signin", c.anon(c.signinPage))
	m.HandleFunc("POST "+Prefix+"/signin", c.anon(c.signin))
	m.HandleFunc("POST "+Prefix+"/lang", c.anon(c.switchLang))
	m.HandleFunc("POST "+Prefix+"/signout", c.anon(c.signout))
	m.HandleFunc("GET "+Prefix+"/passkey", c.halfSignedIn(c.passkeyPage))
	m.HandleFunc("POST "+Prefix+"/passkey/register/begin", c.halfSignedIn(c.passkeyRegisterBegin))
	m.HandleFunc("POST "+Prefix+"/passkey/register/finish", c.halfSignedIn(c.passkeyRegisterFinish))
	m.HandleFunc("POST "+Prefix+"/passkey/login/begin", c.halfSignedIn(c.passkeyLoginBegin))
	m.HandleFunc("POST "+Prefix+"/passkey/login/finish", c.halfSignedIn(c.passkeyLoginFinish))
	m.HandleFunc("POST "+Prefix+"/passkey/remove", c.signedIn(c.passkeyRemove))

	m.HandleFunc("GET "+Prefix+"/{$}", c.signedIn(c.overview))
	m.HandleFunc("GET "+Prefix+"/objects/{kind}", c.signedIn(c.objectList))
	m.HandleFunc("GET "+Prefix+"/objects/{kind}/{id}", c.signedIn(c.objectPage))
	m.HandleFunc("GET "+Prefix+"/graph", c.signedIn(c.graphPage))
	m.HandleFunc("GET "+Prefix+"/proposals", c.signedIn(c.proposalList))
	m.HandleFunc("GET "+Prefix+"/proposals/new/{form}", c.signedIn(c.proposalForm))
	m.HandleFunc("POST "+Prefix+"/proposals/new/{form}", c.signedIn(c.proposalCreate))
	m.HandleFunc("GET "+Prefix+"/proposals/{id}", c.signedIn(c.proposalPage))
	m.HandleFunc("POST "+Prefix+"/proposals/{id}/{action}", c.signedIn(c.proposalDecide))
	m.HandleFunc("GET "+Prefix+"/audit", c.signedIn(c.auditPage))
	m.HandleFunc("GET "+Prefix+"/snapshot.jws", c.signedIn(c.exportSnapshot))
	m.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, nil, errs.Errorf(trustregistry.CodeNotFound, "no such page: %s", r.URL.Path))
	})
	c.mux = m
}

// ServeHTTP serves the console: security headers on every answer, then the page.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.mux.ServeHTTP(w, r)
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// request is what a page handler gets: the session, the language, and (once signed in) the
// account as the registry knows it now.
type request struct {
	sess    *session
	lang    string
	account trustregistry.Account
}

type handler func(w http.ResponseWriter, r *http.Request, q *request)

// anon serves pages open before sign-in: it makes sure a session (holding the CSRF token)
// exists and checks CSRF on POST.
func (c *Console) anon(h handler) http.HandlerFunc {
	return c.withSession(h, func(*session) bool { return true })
}

// halfSignedIn serves the passkey steps: a valid token was given, a passkey may be owed.
func (c *Console) halfSignedIn(h handler) http.HandlerFunc {
	return c.withSession(h, func(s *session) bool { return s.account != "" })
}

// signedIn serves the console proper.
func (c *Console) signedIn(h handler) http.HandlerFunc {
	return c.withSession(h, (*session).signedIn)
}

func (c *Console) withSession(h handler, allowed func(*session) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := &request{lang: pickLang(r)}
		if ck, err := r.Cookie(sessionCookie); err == nil {
			q.sess = c.sessions.get(ck.Value)
		}
		if q.sess == nil && r.Method != http.MethodPost {
			// Sessions start on a page view only: a cross-site POST (which carries no
			// SameSite=Strict cookie) must not replace the browser's session with a new one.
			s, id := c.sessions.create()
			q.sess = s
			c.setSessionCookie(w, r, id)
		}
		if r.Method == http.MethodPost && (q.sess == nil || !c.checkForgery(r, q.sess)) {
			c.log.Warn("console: refused a cross-site or tokenless form", "path", r.URL.Path, "origin", r.Header.Get("Origin"))
			c.errorPage(w, r, q, errs.Errorf(trustregistry.CodeForbidden, "%s", translator(q.lang).T("forbidden_csrf")))
			return
		}
		if !allowed(q.sess) {
			target := Prefix + "/signin"
			if q.sess.account != "" && q.sess.pending {
				target = Prefix + "/passkey"
			}
			if r.Method == http.MethodGet && r.URL.Path != Prefix+"/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if q.sess.account != "" {
			a, err := c.svc.Account(r.Context(), q.sess.account)
			if err != nil || !c.svc.TokenCurrent(a, q.sess.token) ||
				q.sess.passkey != nil && !c.svc.PasskeyCurrent(a, q.sess.passkey) {
				// Disabled or deleted since sign-in, the token it signed in with revoked,
				// replaced or expired, or the passkey it signed in with removed (by its owner
				// or a reset): the session ends with the account, the token or the passkey.
				c.sessions.drop(q.sess)
				http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
				return
			}
			q.account = a
		}
		h(w, r, q)
	}
}

// checkForgery refuses a state-changing request that another origin sent (Origin, or
// Sec-Fetch-Site when a browser sends no Origin) or that lacks the session's CSRF token.
func (c *Console) checkForgery(r *http.Request, s *session) bool {
	if o := r.Header.Get("Origin"); o != "" {
		if !c.originAllowed(r, o) {
			return false
		}
	} else if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	tok := r.Header.Get(csrfHeader)
	if tok == "" {
		tok = r.PostFormValue(csrfField)
	}
	return s.checkCSRF(tok)
}

func (c *Console) originAllowed(r *http.Request, origin string) bool {
	if len(c.cfg.Origins) > 0 {
		for _, o := range c.cfg.Origins {
			if o == origin {
				return true
			}
		}
		return false
	}
	return origin == requestOrigin(r)
}

func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (c *Console) setSessionCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: Prefix, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

func (c *Console) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// localNext keeps a post-sign-in target inside the console.
func localNext(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.IsAbs() || u.Host != "" || len(u.Path) < len(Prefix) || u.Path[:len(Prefix)] != Prefix || (len(s) > 1 && s[1] == '/') {
		return Prefix + "/"
	}
	return u.RequestURI()
}

// statusOf returns the HTTP status of err from the API's table (500 for an uncoded error).
func (c *Console) statusOf(err error) int {
	return c.cfg.Status(err)
}

// publicMessage returns what a user may read of err: the coded error's public message.
func publicMessage(err error) string {
	if e := errs.As(err); e != nil {
		return e.Message
	}
	return "internal error; see the server log"
}
