package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	issuerapi "github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/verifier"
)

// acceptLD asks for JSON-LD status lists, as a Data Integrity client does.
type acceptLD struct{ accept string }

func (a acceptLD) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", a.accept)
	return http.DefaultTransport.RoundTrip(r)
}

// The issuer serves its Bitstring status lists as vc+jwt by default and, to a client that asks
// for JSON-LD, as a credential with an eddsa-rdfc-2022 proof that the verifier SDK's status
// fetcher verifies.
func TestStatusListDataIntegrityNegotiated(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	defer srv.Close()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.DBFile), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := issuerapi.NewService(ctx, issuerapi.ServiceConfig{Issuer: issuer.Config{Store: st, BaseURL: srv.URL,
		Identity: issuer.IdentityKey, Secret: []byte("example secret: never use a constant in production")},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	srv.Config.Handler = svc.Handler()
	issued, err := svc.Issuer().Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: map[string]any{
		"uen": "201912345K", "legalName": "A Pte Ltd", "registeredAddress": "1 Road", "incorporationDate": "2019-04-01", "entityType": "Private"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Issuer().ChangeStatus(ctx, nil, issued.ID, issuer.ActionRevoke); err != nil {
		t.Fatal(err)
	}
	listURL := svc.Issuer().BitstringURL("revocation", issued.Status.Set)

	for accept, want := range map[string]string{
		"":                       "application/vc+jwt",
		"*/*":                    "application/vc+jwt",
		"application/vc+jwt":     "application/vc+jwt",
		"application/vc+ld+json": "application/vc+ld+json",
		"application/ld+json":    "application/vc+ld+json",
		"application/statuslist+jwt, application/vc+jwt, application/vc+ld+json;q=0.9": "application/vc+jwt",
		"application/vc+jwt;q=0.5, application/vc+ld+json":                             "application/vc+ld+json",
	} {
		req, _ := http.NewRequest(http.MethodGet, listURL, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || got != want {
			t.Errorf("Accept %q: %d %s", accept, resp.StatusCode, got)
		}
		if want == "application/vc+ld+json" && !strings.Contains(string(b), `"cryptosuite":"eddsa-rdfc-2022"`) {
			t.Errorf("Accept %q: %.300s", accept, b)
		}
	}

	for _, accept := range []string{"application/vc+ld+json", "application/vc+jwt"} {
		f, err := statuslist.NewFetcher(statuslist.FetcherOptions{
			HTTPClient:          &http.Client{Transport: acceptLD{accept}},
			Net:                 did.NetOptions{AllowHTTP: true},
			Resolver:            did.NewResolver(did.ResolverOptions{}), // did:key, locally
			VerifyDataIntegrity: verifier.DataIntegrityListVerifier(nil),
			Logger:              slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		sl := verifier.StatusLists(f)
		v, err := sl.Lookup(ctx, verifier.StatusRef{Kind: verifier.BitstringStatus, URL: listURL, Purpose: "revocation",
			Index: int(issued.Status.Index), Issuer: svc.DID()})
		if err != nil || v.Value != 1 {
			t.Fatalf("%s: revoked credential reads %+v, %v", accept, v, err)
		}
	}
}
