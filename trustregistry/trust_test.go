package trustregistry

import (
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/errs"
)

const demoDID = "did:web:registrar.example.sg"

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mustApply(t testing.TB, s *State, cs ChangeSet, now time.Time) (*State, []Change) {
	t.Helper()
	n, ch, err := Apply(s, cs, now)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return n, ch
}

func demoState(t testing.TB) *State {
	s, _ := mustApply(t, NewState(), demoSeed(demoDID, t0), t0)
	return s
}

func TestDecideDemo(t *testing.T) {
	s := demoState(t)
	x := NewIndex(s)
	d := x.Decide(Query{Entity: demoDID, CredentialType: demoType, LocalScheme: demoLocalScheme, At: t0.Add(time.Hour)})
	if !d.Recognised || d.Code != CodeRecognised || d.LocalAssurance != "L3" || d.ClaimMapping["uen"] != "registrationNumber" ||
		d.Recognition != demoRecognitionID || d.Agreement != demoAgreementID || d.Jurisdiction != "SG" || d.RegistryVersion != 1 {
		t.Fatalf("decision = %+v", d)
	}
	cases := []struct {
		name string
		q    Query
		code string
	}{
		{"unknown issuer", Query{Entity: "did:web:nobody.example", CredentialType: demoType, LocalScheme: demoLocalScheme, At: t0.Add(time.Hour)}, CodeIssuerNotRecognised},
		{"type the authority may not issue", Query{Entity: demoDID, CredentialType: "Passport", LocalScheme: demoLocalScheme, At: t0.Add(time.Hour)}, CodeTypeNotAuthorised},
		{"unknown local scheme", Query{Entity: demoDID, CredentialType: demoType, LocalScheme: "nope", At: t0.Add(time.Hour)}, CodeLocalSchemeUnknown},
		{"before registration", Query{Entity: demoDID, CredentialType: demoType, LocalScheme: demoLocalScheme, At: t0.Add(-time.Hour)}, CodeAuthorityNotActive},
		{"issued before registration", Query{Entity: demoDID, CredentialType: demoType, LocalScheme: demoLocalScheme, At: t0.Add(time.Hour), IssuedAt: t0.Add(-time.Hour)}, CodeAuthorityNotActive},
		{"domestic", Query{Entity: demoDID, CredentialType: demoType, LocalScheme: demoForeignScheme, At: t0.Add(time.Hour)}, CodeRecognised},
		{"any local scheme", Query{Entity: demoDID, CredentialType: demoType, At: t0.Add(time.Hour)}, CodeRecognised},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := x.Decide(c.q); d.Code != c.code {
				t.Fatalf("code = %s (%s), want %s", d.Code, d.Message, c.code)
			}
		})
	}
}

func TestBackdatedSuspensionBitemporal(t *testing.T) {
	s1 := demoState(t)
	leak := t0.Add(48 * time.Hour)
	recordedAt := t0.Add(96 * time.Hour)
	s2, ch := mustApply(t, s1, SuspendAuthority(demoAuthorityID, "key leaked", leak), recordedAt)
	if len(ch) != 1 || ch[0].Kind != KindAuthority {
		t.Fatalf("changes = %+v", ch)
	}
	q := Query{Entity: demoDID, CredentialType: demoType, LocalScheme: demoLocalScheme, At: leak.Add(time.Hour)}
	// As known at version 1 (yesterday's answer), valid at leak+1h: recognised.
	if d := NewIndex(s1).Decide(q); !d.Recognised {
		t.Fatalf("as of v1: %+v", d)
	}
	// As known now: suspended since the leak, although recorded later.
	if d := NewIndex(s2).Decide(q); d.Code != CodeAuthoritySuspended || d.RegistryVersion != 2 {
		t.Fatalf("as of v2: %+v", d)
	}
	// Before the leak: still fine at v2.
	q.At = leak.Add(-time.Hour)
	if d := NewIndex(s2).Decide(q); !d.Recognised {
		t.Fatalf("before leak at v2: %+v", d)
	}
	// A credential issued after the leak, checked after a reinstatement, is still refused.
	s3, _ := mustApply(t, s2, ReinstateAuthority(demoAuthorityID, "new key", leak.Add(72*time.Hour)), recordedAt.Add(time.Hour))
	q.At, q.IssuedAt = leak.Add(100*time.Hour), leak.Add(time.Hour)
	if d := NewIndex(s3).Decide(q); d.Code != CodeAuthoritySuspended || !strings.Contains(d.Message, "at issuance") {
		t.Fatalf("issued while suspended: %+v", d)
	}
	// StatusAt with asOf reproduces old knowledge from the newest timeline too.
	if st, _ := StatusAt(s3.Authorities[demoAuthorityID].Statuses, leak.Add(time.Hour), 1); st.Status != StatusActive {
		t.Fatalf("timeline as of v1 = %+v", st)
	}
	// History rebuild gives the same answers.
	var revs []Revision
	for v, st := range []*State{s1, s2, s3} {
		for _, k := range Kinds {
			for _, id := range st.IDs(k) {
				b, _ := json.Marshal(st.Object(k, id))
				revs = append(revs, Revision{Kind: k, ID: id, Version: uint64(v + 1), Object: b})
			}
		}
	}
	old, err := StateFromRevisions(revs, 1)
	if err != nil {
		t.Fatal(err)
	}
	q = Query{Entity: demoDID, CredentialType: demoType, LocalScheme: demoLocalScheme, At: leak.Add(time.Hour)}
	if d := NewIndex(old).Decide(q); !d.Recognised || d.RegistryVersion != 1 {
		t.Fatalf("rebuilt v1: %+v", d)
	}
}

func TestRecognitionAndAgreementWindows(t *testing.T) {
	s := demoState(t)
	end := t0.Add(24 * time.Hour)
	r := *s.Recognitions[demoRecognitionID]
	r.Statuses = nil
	r.ValidUntil = &end
	s2, _ := mustApply(t, s, ChangeSet{Ops: []Op{{Op: OpUpsertRecognition, Recognition: &r}}}, t0)
	q := Query{Entity: demoDID, CredentialType: demoType, LocalScheme: demoLocalScheme, At: end.Add(time.Hour)}
	if d := NewIndex(s2).Decide(q); d.Code != CodeRecognitionInactive {
		t.Fatalf("%+v", d)
	}
	g := *s.Agreements[demoAgreementID]
	g.TerminatesAt = &end
	s3, _ := mustApply(t, s, ChangeSet{Ops: []Op{{Op: OpUpsertAgreement, Agreement: &g}}}, t0)
	if d := NewIndex(s3).Decide(q); d.Code != CodeAgreementInactive {
		t.Fatalf("%+v", d)
	}
	s4, _ := mustApply(t, s, ChangeSet{Ops: []Op{{Op: OpSetRecognitionStatus, ID: demoRecognitionID, Status: StatusSuspended, Reason: "review"}}}, t0)
	if d := NewIndex(s4).Decide(q); d.Code != CodeRecognitionInactive {
		t.Fatalf("%+v", d)
	}
	rq := RecognitionQuery{LocalScheme: demoLocalScheme, ForeignScheme: demoForeignScheme, CredentialType: demoType, At: t0.Add(time.Hour)}
	if d := NewIndex(s).DecideRecognition(rq); !d.Recognised {
		t.Fatalf("%+v", d)
	}
	rq.CredentialType = "Passport"
	if d := NewIndex(s).DecideRecognition(rq); d.Code != CodeTypeNotRecognised {
		t.Fatalf("%+v", d)
	}
}

func TestValidation(t *testing.T) {
	base := demoState(t)
	later := t0.Add(time.Hour)
	before := t0.Add(-time.Hour)
	auth := func(mut func(a *Authority)) ChangeSet {
		a := cloneAuthority(base.Authorities[demoAuthorityID])
		a.Statuses = nil
		mut(a)
		return ChangeSet{Ops: []Op{{Op: OpUpsertAuthority, Authority: a}}}
	}
	rec := func(mut func(r *Recognition)) ChangeSet {
		r := cloneRecognition(base.Recognitions[demoRecognitionID])
		r.Statuses = nil
		mut(r)
		return ChangeSet{Ops: []Op{{Op: OpUpsertRecognition, Recognition: r}}}
	}
	cases := []struct {
		name  string
		cs    ChangeSet
		class error
		path  string
	}{
		{"empty", ChangeSet{}, ErrInvalid, "ops"},
		{"unknown op", ChangeSet{Ops: []Op{{Op: "drop_table"}}}, ErrInvalid, "ops[0].op"},
		{"missing object", ChangeSet{Ops: []Op{{Op: OpUpsertScheme}}}, ErrInvalid, "ops[0].upsert_scheme"},
		{"bad jurisdiction code", ChangeSet{Ops: []Op{{Op: OpUpsertJurisdiction, Jurisdiction: &Jurisdiction{Code: "sg", Name: "x"}}}}, ErrInvalid, "ops[0].jurisdiction.code"},
		{"scheme unknown jurisdiction", ChangeSet{Ops: []Op{{Op: OpUpsertScheme, Scheme: &Scheme{ID: "x", Jurisdiction: "HK", Name: "x", AssuranceLevels: []string{"a"}}}}}, ErrUnknownReference, `scheme "x".jurisdiction`},
		{"scheme repeated level", ChangeSet{Ops: []Op{{Op: OpUpsertScheme, Scheme: &Scheme{ID: "x", Jurisdiction: "SG", Name: "x", AssuranceLevels: []string{"a", "a"}}}}}, ErrInvalid, "ops[0].scheme.assurance_levels[1]"},
		{"malformed DID", auth(func(a *Authority) { a.DIDs = []string{"did:web"} }), ErrInvalid, "ops[0].authority.dids[0]"},
		{"DID with uppercase method", auth(func(a *Authority) { a.DIDs = []string{"did:WEB:x"} }), ErrInvalid, "ops[0].authority.dids[0]"},
		{"bad thumbprint", auth(func(a *Authority) { a.Keys = []AuthorityKey{{Thumbprint: "abc", Provenance: Provenance{Method: "x"}}} }), ErrInvalid, "ops[0].authority.keys[0].thumbprint"},
		{"malformed JWK", auth(func(a *Authority) {
			a.Keys = []AuthorityKey{{JWK: []byte(`{"kty":"oct","k":"AAAA"}`), Provenance: Provenance{Method: "x"}}}
		}), ErrInvalid, "ops[0].authority.keys[0].jwk"},
		{"key without provenance", auth(func(a *Authority) {
			a.Keys = []AuthorityKey{{Thumbprint: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"}}
		}), ErrInvalid, "ops[0].authority.keys[0].provenance.method"},
		{"http jwks", auth(func(a *Authority) { a.JWKSURL = "http://x/jwks" }), ErrInvalid, "ops[0].authority.jwks_url"},
		{"unknown scheme", auth(func(a *Authority) { a.Scheme = "nope" }), ErrUnknownReference, `authority "sg-demo-registrar".scheme`},
		{"assurance not in scheme", auth(func(a *Authority) { a.Assurance = "L3" }), ErrInvalid, `authority "sg-demo-registrar".assurance`},
		{"no types", auth(func(a *Authority) { a.CredentialTypes = nil }), ErrInvalid, "ops[0].authority.credential_types"},
		{"statuses in upsert", auth(func(a *Authority) { a.Statuses = []StatusChange{{Status: StatusRevoked}} }), ErrInvalid, "ops[0].authority.statuses"},
		{"duplicate DID", ChangeSet{Ops: []Op{{Op: OpUpsertAuthority, Authority: &Authority{ID: "other", Scheme: demoForeignScheme, LegalName: "x", DIDs: []string{demoDID}, CredentialTypes: []string{"X"}}}}}, ErrDuplicate, `authority "sg-demo-registrar"`},
		{"mapping to missing local level", rec(func(r *Recognition) { r.AssuranceMapping = map[string]string{"high": "L9"} }), ErrInvalid, `recognition "lg-recognises-sg-corporate".assurance_mapping`},
		{"mapping from missing foreign level", rec(func(r *Recognition) { r.AssuranceMapping = map[string]string{"ultra": "L1"} }), ErrInvalid, `recognition "lg-recognises-sg-corporate".assurance_mapping`},
		{"self recognition", rec(func(r *Recognition) { r.ForeignScheme = r.LocalScheme }), ErrInvalid, "ops[0].recognition.foreign_scheme"},
		{"unknown agreement", rec(func(r *Recognition) { r.Agreement = "none" }), ErrUnknownReference, `recognition "lg-recognises-sg-corporate".agreement`},
		{"window inverted", rec(func(r *Recognition) { r.ValidUntil = &before }), ErrInvalid, "ops[0].recognition.valid_until"},
		{"overlapping window", rec(func(r *Recognition) { r.ID = "second"; r.ValidFrom = later }), ErrOverlap, `recognition "second"`},
		{"agreement one party", ChangeSet{Ops: []Op{{Op: OpUpsertAgreement, Agreement: &Agreement{ID: "a", Parties: []string{"SG"}, LegalReference: "x", EffectiveFrom: t0}}}}, ErrInvalid, "ops[0].agreement.parties"},
		{"agreement unknown party", ChangeSet{Ops: []Op{{Op: OpUpsertAgreement, Agreement: &Agreement{ID: "a", Parties: []string{"SG", "HK"}, LegalReference: "x", EffectiveFrom: t0}}}}, ErrUnknownReference, `agreement "a".parties[1]`},
		{"status unknown authority", SuspendAuthority("nope", "r", t0), ErrUnknownReference, "ops[0].id"},
		{"suspend without reason", SuspendAuthority(demoAuthorityID, "", t0), ErrInvalid, "ops[0].reason"},
		{"bad status", ChangeSet{Ops: []Op{{Op: OpSetAuthorityStatus, ID: demoAuthorityID, Status: "paused"}}}, ErrInvalid, "ops[0].status"},
		{"no-op", ChangeSet{Ops: []Op{{Op: OpUpsertJurisdiction, Jurisdiction: &Jurisdiction{Code: "SG", Name: "Singapore"}}}}, ErrInvalid, "ops"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Apply(base, c.cs, later)
			if errs.As(err) == nil || !errors.Is(err, c.class) || PathOf(err) != c.path {
				t.Fatalf("err = %v (path %q), want class %v at %q", err, pathOf(err), c.class, c.path)
			}
		})
	}
	// Revocation is final.
	s, _ := mustApply(t, base, ChangeSet{Ops: []Op{{Op: OpSetAuthorityStatus, ID: demoAuthorityID, Status: StatusRevoked, Reason: "gone"}}}, later)
	if _, _, err := Apply(s, ReinstateAuthority(demoAuthorityID, "back", later), later); !errors.Is(err, ErrTransition) {
		t.Fatalf("reinstating revoked: %v", err)
	}
	if d := NewIndex(s).Decide(Query{Entity: demoDID, CredentialType: demoType, LocalScheme: demoLocalScheme, At: later.Add(time.Second)}); d.Code != CodeAuthorityRevoked {
		t.Fatalf("%+v", d)
	}
}

func pathOf(err error) string { return PathOf(err) }

func TestJWKKeys(t *testing.T) {
	// RFC 8037 A.3 Ed25519 public key and its thumbprint.
	jwk := []byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`)
	tp, err := JWKThumbprint(jwk)
	if err != nil || tp != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Fatalf("thumbprint %q, %v", tp, err)
	}
	s := demoState(t)
	a := cloneAuthority(s.Authorities[demoAuthorityID])
	a.Statuses = nil
	a.Keys = []AuthorityKey{{JWK: jwk, Provenance: Provenance{Method: "did-document", Source: demoDID}}}
	s2, _ := mustApply(t, s, ChangeSet{Ops: []Op{{Op: OpUpsertAuthority, Authority: a}}}, t0)
	if d := NewIndex(s2).Decide(Query{Entity: tp, CredentialType: demoType, LocalScheme: demoLocalScheme, At: t0.Add(time.Hour)}); !d.Recognised {
		t.Fatalf("by thumbprint: %+v", d)
	}
	d := NewIndex(s2).Decide(Query{Entity: demoDID, KeyThumbprint: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", CredentialType: demoType, LocalScheme: demoLocalScheme, At: t0.Add(time.Hour)})
	if d.Code != CodeKeyNotPinned {
		t.Fatalf("unpinned key: %+v", d)
	}
	d = NewIndex(s2).Decide(Query{Entity: "did:web:unknown.example", KeyThumbprint: tp, CredentialType: demoType, LocalScheme: demoLocalScheme, At: t0.Add(time.Hour)})
	if !d.Recognised {
		t.Fatalf("by pinned key with another DID: %+v", d)
	}
	priv := []byte(`{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`)
	if _, err := JWKThumbprint(priv); err == nil {
		t.Fatal("private JWK accepted")
	}
}

func TestAuditChain(t *testing.T) {
	var recs []AuditRecord
	var prev *AuditRecord
	for i := 1; i <= 4; i++ {
		r := AuditRecord{Version: uint64(i), Proposer: "alice", Approvers: []string{"bob"}, Reason: "r", AppliedAt: t0}
		if err := Chain(prev, &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
		prev = &recs[len(recs)-1]
	}
	if err := VerifyAudit(recs, 4); err != nil {
		t.Fatal(err)
	}
	altered := append([]AuditRecord(nil), recs...)
	altered[2].Reason = "forged"
	removed := append(append([]AuditRecord(nil), recs[:1]...), recs[2:]...)
	swapped := append([]AuditRecord(nil), recs...)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	for name, c := range map[string]struct {
		recs   []AuditRecord
		head   uint64
		record int
	}{"altered": {altered, 4, 3}, "removed": {removed, 4, 2}, "swapped": {swapped, 4, 2}, "tail removed": {recs[:3], 4, 4}} {
		err := VerifyAudit(c.recs, c.head)
		var ae *AuditError
		if !errors.As(err, &ae) || ae.Record != c.record || !errors.Is(err, ErrAuditBroken) {
			t.Errorf("%s: %v, want record %d", name, err, c.record)
		}
	}
}

func TestPage(t *testing.T) {
	s, err := SyntheticState(25, 3, t0)
	if err != nil {
		t.Fatal(err)
	}
	x := NewIndex(s)
	var all []string
	after := ""
	for {
		items, next := x.Page(KindAuthority, after, 10)
		for _, it := range items {
			all = append(all, it.(*Authority).ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	if len(all) != 25 {
		t.Fatalf("paged %d", len(all))
	}
}

func FuzzValidDID(f *testing.F) {
	for _, s := range []string{demoDID, "did:key:z6Mk", "did:", "did:a:", "did:a:b:", "did:web:x%2", "did:web:x%20y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidDID(s) == nil && !strings.HasPrefix(s, "did:") {
			t.Fatalf("accepted %q", s)
		}
	})
}

func FuzzChangeSetJSON(f *testing.F) {
	b, _ := json.Marshal(demoSeed(demoDID, t0))
	f.Add(b)
	f.Add([]byte(`{"ops":[{"op":"set_authority_status","id":"x","status":"suspended"}]}`))
	base := demoState(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var cs ChangeSet
		if json.Unmarshal(b, &cs) != nil {
			return
		}
		if s, _, err := Apply(base, cs, t0); err == nil {
			if err := ValidateState(s); err != nil {
				t.Fatalf("applied state invalid: %v", err)
			}
		}
	})
}

func BenchmarkDecideHit(b *testing.B) {
	s, err := SyntheticState(10000, 50, t0)
	if err != nil {
		b.Fatal(err)
	}
	x := NewIndex(s)
	q := Query{Entity: "did:web:authority-7777.example", CredentialType: "BusinessRegistration", LocalScheme: "scheme-0", At: t0.Add(time.Hour), IssuedAt: t0.Add(time.Minute)}
	if d := x.Decide(q); !d.Recognised {
		b.Fatalf("%+v", d)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if d := x.Decide(q); !d.Recognised {
			b.Fatal(d.Code)
		}
	}
}

// BenchmarkDecideHitDerived compares, in the same run, the decision hit on an index rebuilt
// from the state (NewIndex, what replicas used before deltas) with the hit on the index a
// replica derives after ordinary changes (Index.Next: suspend and reinstate one authority).
// The two alternate in blocks of decideBlock decisions on one locked OS thread, and each
// block's thread CPU time is counted: rebuilt-cpu-ns and derived-cpu-ns are per decision and
// do not count the time spent waiting for a CPU on a loaded machine (ns/op, wall clock, is
// one block of each).
func BenchmarkDecideHitDerived(b *testing.B) {
	s, err := SyntheticState(10000, 50, t0)
	if err != nil {
		b.Fatal(err)
	}
	derived := NewIndex(s)
	for _, cs := range []ChangeSet{SuspendAuthority("authority-42", "bench", t0), ReinstateAuthority("authority-42", "bench", t0.Add(time.Minute))} {
		next, changes, err := Apply(derived.State(), cs, t0.Add(time.Minute))
		if err != nil {
			b.Fatal(err)
		}
		derived = derived.Next(next, changes)
	}
	q := Query{Entity: "did:web:authority-7777.example", CredentialType: "BusinessRegistration", LocalScheme: "scheme-0", At: t0.Add(time.Hour), IssuedAt: t0.Add(time.Minute)}
	CompareDecideHit(b, NewIndex(derived.State()), derived, q)
}

// decideBlock is the number of decisions between two thread CPU readings.
const decideBlock = 100

// CompareDecideHit runs the decision hit q on rebuilt and derived alternately (see
// BenchmarkDecideHitDerived) and reports the CPU time of one decision on each.
func CompareDecideHit(b *testing.B, rebuilt, derived *Index, q Query) {
	for _, x := range []*Index{rebuilt, derived} {
		if d := x.Decide(q); !d.Recognised {
			b.Fatalf("%+v", d)
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var tr, td time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := ThreadCPU()
		for range decideBlock {
			if !rebuilt.Decide(q).Recognised {
				b.Fatal("rebuilt index: not recognised")
			}
		}
		t1 := ThreadCPU()
		for range decideBlock {
			if !derived.Decide(q).Recognised {
				b.Fatal("derived index: not recognised")
			}
		}
		t2 := ThreadCPU()
		tr, td = tr+t1-t0, td+t2-t1
	}
	n := float64(b.N * decideBlock)
	b.ReportMetric(float64(tr.Nanoseconds())/n, "rebuilt-cpu-ns")
	b.ReportMetric(float64(td.Nanoseconds())/n, "derived-cpu-ns")
}
