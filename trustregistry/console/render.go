package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/idport/idport/trustregistry"
)

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"signin", "passkey", "overview", "list", "object", "graph", "proposals", "proposal_form", "proposal", "audit", "error"}

// pages holds one template set per page.
type pages struct{ sets map[string]*template.Template }

func parsePages() (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}}
	for _, n := range pageNames {
		t, err := template.New(n).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html")
		if err != nil {
			return nil, fmt.Errorf("console: parsing page %s: %w", n, err)
		}
		p.sets[n] = t
	}
	return p, nil
}

var funcs = template.FuncMap{
	"iso":    func(v any) string { return timeOf(v).UTC().Format(time.RFC3339) },
	"utc":    func(v any) string { return timeOf(v).UTC().Format("2006-01-02 15:04:05") },
	"isZero": func(v any) bool { return timeOf(v).IsZero() },
	"join":   strings.Join,
	"plural": plural,
	"roles": func(rs []trustregistry.Role) string {
		s := make([]string, len(rs))
		for i, r := range rs {
			s[i] = string(r)
		}
		return strings.Join(s, ", ")
	},
	"add":  func(a, b int) int { return a + b },
	"list": func(xs ...string) []string { return xs },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}

func timeOf(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case *time.Time:
		if t != nil {
			return *t
		}
	}
	return time.Time{}
}

// view is what every page template gets.
type view struct {
	T       translator
	Lang    string
	CSRF    string
	Account *trustregistry.AccountView
	Title   string
	Nav     string
	// AsOf is the "as known at" value of the page ("" = latest); AsOfVersion its version.
	AsOf        string
	AsOfVersion uint64
	Path        string
	Error       string
	Notice      string
	Data        any
}

// Kinds lists the object kinds for the navigation.
func (v *view) Kinds() []trustregistry.Kind { return trustregistry.Kinds }

// render writes page name with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, q *request, status int, name string, v *view) {
	if q != nil {
		v.T, v.Lang = translator(q.lang), q.lang
		if q.sess != nil {
			v.CSRF = q.sess.csrf
			if q.sess.signedIn() {
				av := q.account.View()
				v.Account = &av
			}
		}
	} else {
		v.T, v.Lang = translator(LangEnglish), LangEnglish
	}
	v.Path = r.URL.RequestURI()
	var buf bytes.Buffer
	if err := c.pages.sets[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console: rendering page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage renders err with the status the API's table gives its code.
func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, q *request, err error) {
	status := c.statusOf(err)
	if status >= 500 {
		c.log.Error("console: request failed", "path", r.URL.Path, "err", err)
	} else {
		c.log.Info("console: request refused", "path", r.URL.Path, "status", status, "err", err)
	}
	if q == nil {
		q = &request{lang: pickLang(r)}
	}
	c.render(w, r, q, status, "error", &view{Title: translator(q.lang).T("error"), Error: publicMessage(err)})
}

// plural maps a kind to its path segment (as the public API does).
func plural(k trustregistry.Kind) string {
	switch k {
	case trustregistry.KindAuthority:
		return "authorities"
	case trustregistry.KindJurisdiction:
		return "jurisdictions"
	}
	return string(k) + "s"
}

// kindOf maps a path segment back to its kind.
func kindOf(p string) (trustregistry.Kind, bool) {
	for _, k := range trustregistry.Kinds {
		if p == plural(k) {
			return k, true
		}
	}
	return "", false
}
