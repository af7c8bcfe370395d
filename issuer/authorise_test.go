package issuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/internal/memstore"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/issuerauth"
)

var regEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// lingangIndex is a registry where authority "lg-registrar" (the issuer's DID) is an active
// authority of Lingang's own scheme for BusinessRegistration only.
func lingangIndex(t testing.TB, issuerDID string, status trustregistry.Status) *trustregistry.Index {
	t.Helper()
	s := trustregistry.NewState()
	s.Version = 7
	s.Jurisdictions["CN-SH-LG"] = &trustregistry.Jurisdiction{Code: "CN-SH-LG", Name: "Lingang"}
	s.Schemes["cn-sh-lg.corporate"] = &trustregistry.Scheme{ID: "cn-sh-lg.corporate", Jurisdiction: "CN-SH-LG", Name: "Lingang corporate identity",
		AssuranceLevels: []string{"L1", "L2", "L3"}}
	s.Authorities["lg-registrar"] = &trustregistry.Authority{ID: "lg-registrar", Scheme: "cn-sh-lg.corporate", LegalName: "Lingang registrar",
		DIDs: []string{issuerDID}, CredentialTypes: []string{"BusinessRegistration"}, Assurance: "L3",
		Statuses: []trustregistry.StatusChange{{Status: status, EffectiveAt: regEpoch, RecordedAt: regEpoch, Version: 1}}}
	return trustregistry.NewIndex(s)
}

// newAuthorisedIssuer opens an in-memory issuer whose registry check uses idx (built for its DID).
func newAuthorisedIssuer(t testing.TB, mode issuer.RegistryCheck, idx func(did string) issuerauth.Source) *issuer.Issuer {
	is, _ := newAuthorisedIssuerStore(t, mode, idx)
	return is
}

// countingStore counts the issuance records.
type countingStore struct {
	*memstore.Store
	n atomic.Int32
}

func (s *countingStore) Record(ctx context.Context, rec issuer.IssueRecord) error {
	s.n.Add(1)
	return s.Store.Record(ctx, rec)
}

func newAuthorisedIssuerStore(t testing.TB, mode issuer.RegistryCheck, idx func(did string) issuerauth.Source) (*issuer.Issuer, *countingStore) {
	t.Helper()
	var auth lateAuthoriser
	st := &countingStore{Store: memstore.New()}
	is, err := issuer.New(context.Background(), issuer.Config{Store: st, BaseURL: "https://issuer.lingang.example",
		Secret: []byte("a test secret of at least 32 bytes!!"), Logger: slog.New(slog.DiscardHandler),
		Authoriser: &auth, RegistryCheck: mode})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(is.Close)
	auth.a = issuerauth.New(idx(is.DID()), "")
	return is, st
}

// lateAuthoriser lets a test build the registry after the issuer (whose DID it names).
type lateAuthoriser struct{ a issuer.Authoriser }

// Ready forwards the readiness of the Authoriser it wraps.
func (l *lateAuthoriser) Ready() error {
	if r, ok := l.a.(issuer.ReadyReporter); ok {
		return r.Ready()
	}
	return nil
}

func (l *lateAuthoriser) Authorise(ctx context.Context, d, k string, types []string, at time.Time) (issuer.Grant, error) {
	return l.a.Authorise(ctx, d, k, types, at)
}

func activeRegistry(t testing.TB) func(string) issuerauth.Source {
	return func(d string) issuerauth.Source {
		return issuerauth.NewStatic(lingangIndex(t, d, trustregistry.StatusActive))
	}
}

var personSubject = map[string]any{"givenName": "Mei Ling", "familyName": "Chan", "birthDate": "1990-02-03", "nationality": "HK"}

func TestRegistryCheckEnforce(t *testing.T) {
	ctx := context.Background()
	is, st := newAuthorisedIssuerStore(t, "", activeRegistry(t)) // enforce is the default with an Authoriser
	if is.RegistryCheck() != issuer.CheckEnforce {
		t.Fatalf("mode %q, want enforce", is.RegistryCheck())
	}
	out, err := is.Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: benchSubject})
	if err != nil {
		t.Fatalf("recognised type refused: %v", err)
	}
	if out.RegistryVersion != 7 || len(out.Warnings) != 0 {
		t.Fatalf("registry version %d warnings %v", out.RegistryVersion, out.Warnings)
	}
	if rec, ok, _ := st.Credential(ctx, out.ID); !ok || rec.RegistryVersion != 7 {
		t.Fatalf("issuance record %+v: want registry version 7", rec)
	}
	if cs := is.RegistryCheckStats(); cs.Checked != 1 || cs.Refused != 0 {
		t.Fatalf("stats %+v", cs)
	}
	// A type the registry does not list for this issuer: refused, nothing stored.
	_, err = is.Issue(ctx, issuer.Request{Type: "PersonIdentity", Subject: personSubject})
	if !errors.Is(err, issuer.ErrIssuerNotAuthorised) {
		t.Fatalf("unrecognised type: %v, want issuer_not_authorised", err)
	}
	// A credential asserting a recognised and an unrecognised type: refused too.
	cred := map[string]any{"@context": []string{vc.ContextV2, issuer.ContextUndefinedTermsV2}, "type": []string{"VerifiableCredential", "BusinessRegistration", "PersonIdentity"},
		"issuer": is.DID(), "credentialSubject": map[string]any{"id": "did:example:123", "uen": "1"}}
	b, _ := json.Marshal(cred)
	_, err = is.Issue(ctx, issuer.Request{Credential: b})
	if !errors.Is(err, issuer.ErrIssuerNotAuthorised) {
		t.Fatalf("mixed types: %v, want issuer_not_authorised", err)
	}
	if cs := is.RegistryCheckStats(); cs.Refused != 2 {
		t.Fatalf("stats %+v, want 2 refused", cs)
	}
	if n := st.n.Load(); n != 1 {
		t.Fatalf("%d issuance records, want 1: a refused credential is not stored", n)
	}
}

func TestRegistryCheckWarn(t *testing.T) {
	ctx := context.Background()
	is := newAuthorisedIssuer(t, issuer.CheckWarn, activeRegistry(t))
	out, err := is.Issue(ctx, issuer.Request{Type: "PersonIdentity", Subject: personSubject})
	if err != nil {
		t.Fatalf("warn mode refused: %v", err)
	}
	if len(out.Warnings) != 1 || out.Warnings[0].Code != issuer.CodeIssuerNotAuthorised || out.RegistryVersion != 7 {
		t.Fatalf("warnings %+v version %d", out.Warnings, out.RegistryVersion)
	}
	if st := is.RegistryCheckStats(); st.Warned != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRegistryCheckSuspendedAuthority(t *testing.T) {
	is := newAuthorisedIssuer(t, issuer.CheckEnforce, func(d string) issuerauth.Source {
		return issuerauth.NewStatic(lingangIndex(t, d, trustregistry.StatusSuspended))
	})
	_, err := is.Issue(context.Background(), issuer.Request{Type: "BusinessRegistration", Subject: benchSubject})
	if !errors.Is(err, issuer.ErrIssuerNotAuthorised) {
		t.Fatalf("suspended authority: %v", err)
	}
}

// staleSource answers like a replica whose snapshot expired.
type staleSource struct{}

func (staleSource) Decide(trustregistry.Query) trustregistry.Decision {
	return trustregistry.Decision{Code: trustregistry.CodeRegistryStale, Message: "snapshot expired", RegistryVersion: 3}
}
func (staleSource) Index() *trustregistry.Index { return nil }

func TestRegistryCheckStale(t *testing.T) {
	ctx := context.Background()
	stale := func(string) issuerauth.Source { return staleSource{} }
	is := newAuthorisedIssuer(t, issuer.CheckEnforce, stale)
	if _, err := is.Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: benchSubject}); !errors.Is(err, issuer.ErrRegistryStale) {
		t.Fatalf("stale registry, enforce: %v", err)
	}
	warn := newAuthorisedIssuer(t, issuer.CheckWarn, stale)
	out, err := warn.Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: benchSubject})
	if err != nil || len(out.Warnings) != 1 || out.Warnings[0].Code != issuer.CodeRegistryStale {
		t.Fatalf("stale registry, warn: %v %+v", err, out)
	}
}

func TestRegistryCheckNeedsAuthoriser(t *testing.T) {
	_, err := issuer.New(context.Background(), issuer.Config{Store: memstore.New(), BaseURL: "https://issuer.example",
		Secret: []byte("a test secret of at least 32 bytes!!"), RegistryCheck: issuer.CheckEnforce})
	if !errors.Is(err, issuer.ErrConfig) {
		t.Fatalf("enforce without a registry: %v", err)
	}
}

// TestNotReadyWhileTheRegistryCheckCannotAnswer: an enforcing issuer whose registry copy holds
// no snapshot would refuse every credential with registry_stale, so it must not report ready
// (a load balancer would send it traffic it can only refuse); with an active registry, or in
// warn mode, it is ready.
func TestNotReadyWhileTheRegistryCheckCannotAnswer(t *testing.T) {
	empty := func(string) issuerauth.Source { return staleSource{} }
	if err := newAuthorisedIssuer(t, issuer.CheckEnforce, empty).Ready(); err == nil {
		t.Fatal("an enforcing issuer without a registry snapshot reports ready")
	}
	if err := newAuthorisedIssuer(t, issuer.CheckWarn, empty).Ready(); err != nil {
		t.Fatalf("warn mode issues anyway, so it is ready: %v", err)
	}
	if err := newAuthorisedIssuer(t, issuer.CheckEnforce, activeRegistry(t)).Ready(); err != nil {
		t.Fatalf("an enforcing issuer with an active registry is not ready: %v", err)
	}
}
