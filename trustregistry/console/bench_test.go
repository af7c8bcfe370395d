package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/console"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/memstore"
)

// BenchmarkPages renders the authorities list (first page, and a search) and the overview
// through the registry's handler, signed in, on a registry with 10,000 authorities.
//
//	go test -run '^$' -bench BenchmarkPages -benchtime 50x ./trustregistry/console/
func BenchmarkPages(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := trustregistry.NewService(trustregistry.Config{Store: memstore.New(), Dev: true, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()
	_, aliceTok, _ := svc.CreateAccount(ctx, "alice", []trustregistry.Role{trustregistry.RoleProposer})
	_, bobTok, _ := svc.CreateAccount(ctx, "bob", []trustregistry.Role{trustregistry.RoleApprover})
	alice, _ := svc.Authenticate(ctx, aliceTok)
	bob, _ := svc.Authenticate(ctx, bobTok)
	seed, err := svc.Propose(ctx, alice, demoseed.ChangeSet("did:example:sg-0", time.Now().Add(-time.Hour)), "seed", 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Approve(ctx, bob, seed.ID, ""); err != nil {
		b.Fatal(err)
	}
	var cs trustregistry.ChangeSet
	for i := 1; i < 10000; i++ {
		cs.Ops = append(cs.Ops, trustregistry.Op{Op: trustregistry.OpUpsertAuthority, Authority: &trustregistry.Authority{
			ID: fmt.Sprintf("sg-authority-%05d", i), Scheme: demoseed.ForeignScheme, LegalName: fmt.Sprintf("Singapore Registrar %d Pte. Ltd.", i),
			DIDs: []string{fmt.Sprintf("did:example:sg-%d", i)}, CredentialTypes: []string{demoseed.Type}, Assurance: "high"}})
	}
	p, err := svc.Propose(ctx, alice, cs, "10,000 authorities", 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Approve(ctx, bob, p.ID, ""); err != nil {
		b.Fatal(err)
	}
	h := httpapi.New(svc, httpapi.Options{Console: &console.Config{}}, log)
	cookie := benchSignIn(b, h, bobTok)
	for _, page := range []string{"/console/", "/console/objects/authorities", "/console/objects/authorities?q=registrar+9999", "/console/objects/authorities/sg-authority-05000"} {
		b.Run(strings.TrimPrefix(page, "/console/"), func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, page, nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", page, rec.Code)
				}
			}
		})
	}
}

func benchSignIn(b *testing.B, h http.Handler, token string) *http.Cookie {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/signin", nil))
	ck := rec.Result().Cookies()[0]
	csrf := csrfOf(b, rec.Body.String())
	req := httptest.NewRequest(http.MethodPost, "/console/signin", strings.NewReader(url.Values{"csrf": {csrf}, "token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://example.com")
	req.AddCookie(ck)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		b.Fatalf("sign-in: %d", rec.Code)
	}
	return rec.Result().Cookies()[0]
}
