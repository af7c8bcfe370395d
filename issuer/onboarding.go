package issuer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/vc"
)

// ForeignVerifier verifies a foreign credential for cross-border onboarding. The issuer
// declares it; the binary wires the verifier engine behind it (internal/crossborder), so that
// this package imports no verifier package.
type ForeignVerifier interface {
	// VerifyForeign verifies a credential (its JSON value: a compact JWT or SD-JWT as a JSON
	// string, or a JSON-LD credential object) and reports the outcome. A refusal is a result
	// with Verified false, not an error; an error means the verification could not run.
	VerifyForeign(ctx context.Context, credential json.RawMessage) (ForeignResult, error)
	// RecognitionNow answers whether issuer is recognised now for every one of types, so that
	// an onboarding record shows a later suspension of the foreign authority.
	RecognitionNow(ctx context.Context, issuer string, types []string) (RecognitionState, error)
}

// ForeignResult is the outcome of VerifyForeign.
type ForeignResult struct {
	// Verified is true when every check passed.
	Verified bool `json:"verified"`
	// NotRecognised is true when the refusal is about recognition or the cross-border policy
	// (unrecognised or suspended authority, type not recognised, claims outside the
	// allow-list), not about the credential itself (signature, validity, status).
	NotRecognised bool `json:"notRecognised,omitempty"`
	// Stale is true when the refusal comes from a stale registry copy.
	Stale bool `json:"stale,omitempty"`
	// Codes are the verifier's error codes, in order.
	Codes []string `json:"codes,omitempty"`
	// Message explains the first error.
	Message string `json:"message,omitempty"`
	// Issuer is the foreign issuer's identifier (a DID).
	Issuer string `json:"issuer,omitempty"`
	// Types are the foreign credential's types.
	Types []string `json:"types,omitempty"`
	// Claims are the subject claims under local names (the registry's claim mapping).
	Claims map[string]any `json:"-"`
	// Grounds are the registry facts that recognise the foreign issuer.
	Grounds RecognitionGrounds `json:"grounds"`
	// Holder is the presenter of a verified presentation (VerifyForeignPresentation).
	Holder string `json:"holder,omitempty"`
	// Credential is, for a presentation, the one foreign credential it carries, as
	// ForeignDigest reads it (see ForeignPresentationVerifier); empty otherwise.
	Credential json.RawMessage `json:"-"`
}

// RecognitionGrounds are the registry facts that ground the recognition of a foreign issuer.
type RecognitionGrounds struct {
	Authority        string `json:"authority,omitempty"`
	Scheme           string `json:"scheme,omitempty"`
	Jurisdiction     string `json:"jurisdiction,omitempty"`
	Agreement        string `json:"agreement,omitempty"`
	Recognition      string `json:"recognition,omitempty"`
	ForeignAssurance string `json:"foreignAssurance,omitempty"`
	LocalAssurance   string `json:"localAssurance,omitempty"`
	RegistryVersion  uint64 `json:"registryVersion"`
}

// RecognitionState is the current recognition of a foreign issuer.
type RecognitionState struct {
	// Recognised is true when the issuer is recognised now for every type.
	Recognised bool `json:"recognised"`
	// Code is the registry's decision code ("recognised", "authority_suspended", ...).
	Code string `json:"code"`
	// Message explains Code.
	Message string `json:"message,omitempty"`
	// RegistryVersion is the registry version that answered.
	RegistryVersion uint64 `json:"registryVersion"`
	// CheckedAt is when the question was asked.
	CheckedAt time.Time `json:"checkedAt"`
}

// OnboardingConfig configures cross-border onboarding.
type OnboardingConfig struct {
	// Verifier verifies the foreign credentials. Required.
	Verifier ForeignVerifier
	// Type is the configured credential type issued on success (e.g.
	// LingangBusinessRegistration). Required.
	Type string
	// Format is the format of the local credential: a W3C format (vc+jwt, the default;
	// jwt_vc_json or ldp_vc), since the evidence member is a W3C one.
	Format string
	// Store keeps the onboarding records; nil means the issuer Store's OnboardingStore when it
	// has one (issuer/boltstore does), else memory.
	Store OnboardingStore
}

// OnboardingStore keeps onboarding records by id. Put must be durable when it returns.
type OnboardingStore interface {
	// PutOnboarding stores a record, replacing the record of the same id.
	PutOnboarding(ctx context.Context, rec OnboardingRecord) error
	// Onboarding returns the record of an id.
	Onboarding(ctx context.Context, id string) (OnboardingRecord, bool, error)
}

// OnboardingRecord is what the issuer keeps of one onboarding. Its id derives from the foreign
// credential's digest, so that the same foreign credential always yields the same local one.
type OnboardingRecord struct {
	// ID is "onb-" followed by the first 32 hex digits of the foreign credential's SHA-256.
	ID string `json:"id"`
	// ForeignDigest is the SHA-256 of the foreign credential, "sha256:<hex>".
	ForeignDigest string `json:"foreignDigest"`
	// ForeignIssuer and ForeignTypes describe the foreign credential.
	ForeignIssuer string   `json:"foreignIssuer"`
	ForeignTypes  []string `json:"foreignTypes"`
	// Grounds are the recognition grounds at onboarding time (with the registry version).
	Grounds RecognitionGrounds `json:"grounds"`
	// Dropped lists the mapped foreign claims the local type does not declare (names only).
	Dropped []string `json:"dropped,omitempty"`
	// CredentialID, Type and Format identify the local credential.
	CredentialID string `json:"credentialId"`
	Type         string `json:"type"`
	Format       string `json:"format"`
	// Credential is the local credential as issued: a JSON string (compact JWT) or a JSON-LD
	// document. It is returned again for the same foreign credential.
	Credential json.RawMessage `json:"credential"`
	// Created is when the onboarding happened.
	Created time.Time `json:"created"`
	// Client names the API client that asked for it.
	Client string `json:"client,omitempty"`
	// Holder is the presenter when the foreign credential came in a holder-bound presentation
	// (Issuer.OnboardPresentation); empty when the credential itself was sent.
	Holder string `json:"holder,omitempty"`
}

// Onboarding is an onboarding record with the current recognition of its foreign issuer.
type Onboarding struct {
	OnboardingRecord
	// Current is the foreign issuer's recognition now (a later suspension shows here).
	Current *RecognitionState `json:"currentRecognition,omitempty"`
	// Existing is true when the record existed already (an idempotent repeat).
	Existing bool `json:"existing,omitempty"`
}

// onboarding is the enabled onboarding of an Issuer.
type onboarding struct {
	cfg   OnboardingConfig
	typ   *CredentialType
	store OnboardingStore
	locks [16]sync.Mutex // by digest: one onboarding of a foreign credential at a time
}

func (is *Issuer) newOnboarding(cfg *OnboardingConfig) (*onboarding, error) {
	if cfg == nil {
		return nil, nil
	}
	if cfg.Verifier == nil {
		return nil, errs.Errorf(CodeConfig, "invalid configuration: onboarding needs a foreign verifier")
	}
	t, ok := is.types[cfg.Type]
	if !ok {
		return nil, errs.Errorf(CodeConfig, "invalid configuration: onboarding type %q is not a configured credential type", cfg.Type)
	}
	o := &onboarding{cfg: *cfg, typ: t, store: cfg.Store}
	if o.cfg.Format == "" {
		o.cfg.Format = string(vc.FormatVCJOSE)
	}
	f, err := ParseFormat(o.cfg.Format)
	if err != nil || f == vc.FormatSDJWT {
		return nil, errs.Errorf(CodeConfig, "invalid configuration: onboarding format %q (want vc+jwt, jwt_vc_json or ldp_vc)", o.cfg.Format)
	}
	o.cfg.Format = string(f)
	if o.store == nil {
		if p, ok := is.cfg.Store.(interface{ OnboardingStore() OnboardingStore }); ok {
			o.store = p.OnboardingStore()
		} else {
			o.store = NewMemoryOnboarding()
		}
	}
	return o, nil
}

// ForeignDigest returns the digest the issuer keys onboarding on: the SHA-256 of the foreign
// credential's bytes ("sha256:<hex>"). A JSON string (a compact JWT or SD-JWT) is hashed as the
// token; a JSON object as the bytes sent, without surrounding white space.
func ForeignDigest(credential json.RawMessage) (string, error) {
	b := bytes.TrimSpace(credential)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", errs.Errorf(CodeInvalidRequest, "invalid request: credential is not a valid JSON string")
		}
		b = []byte(s)
	}
	if len(b) == 0 || string(b) == "null" {
		return "", errs.Errorf(CodeInvalidRequest, "invalid request: give the foreign credential")
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// OnboardingID returns the id of the onboarding record of a foreign credential digest.
func OnboardingID(digest string) string { return "onb-" + strings.TrimPrefix(digest, "sha256:")[:32] }

// Onboard verifies a foreign credential and, when it is recognised, issues the configured
// local credential whose claims are the foreign ones under local names, with evidence citing the
// foreign credential's digest, issuer, recognition grounds and registry version. The same
// foreign credential yields the same record and credential (Existing true).
func (is *Issuer) Onboard(ctx context.Context, credential json.RawMessage, client *Client) (*Onboarding, error) {
	o := is.onboard
	if o == nil {
		return nil, errs.Errorf(CodeOnboardingDisabled, "onboarding disabled: this issuer onboards no foreign credentials")
	}
	if !client.Allows(o.typ.Name) {
		return nil, errs.Errorf(CodeForbidden, "forbidden: API key %s may not issue %s", client.ID, o.typ.Name)
	}
	digest, err := ForeignDigest(credential)
	if err != nil {
		return nil, err
	}
	id := OnboardingID(digest)
	defer o.lock(digest)()
	if prev, err := o.existing(ctx, id, digest); prev != nil || err != nil {
		return prev, err
	}
	res, err := o.cfg.Verifier.VerifyForeign(ctx, credential)
	if err != nil {
		return nil, errs.Wrap(CodeForeignNotVerified, "foreign credential not verified: the verification could not run", err)
	}
	if !res.Verified {
		return nil, refusal(res)
	}
	return is.issueOnboarding(ctx, id, digest, res, client)
}

// issueOnboarding issues the local credential of a verified foreign one and records it; the
// caller holds the digest's lock and found no record. The local subject is the presenter when
// the foreign credential came in a holder-bound presentation.
func (is *Issuer) issueOnboarding(ctx context.Context, id, digest string, res ForeignResult, client *Client) (*Onboarding, error) {
	o := is.onboard
	subject, dropped := o.localSubject(res.Claims)
	if res.Holder != "" {
		subject["id"] = res.Holder // a presentation proved the holder is the foreign subject
	}
	rec := OnboardingRecord{ID: id, ForeignDigest: digest, ForeignIssuer: res.Issuer, ForeignTypes: res.Types, Holder: res.Holder,
		Grounds: res.Grounds, Dropped: dropped, Type: o.typ.Name, Format: o.cfg.Format, Created: is.cfg.Clock().UTC().Truncate(time.Second)}
	evidence, err := json.Marshal([]map[string]any{{
		"id":                      "urn:idport:onboarding:" + id,
		"type":                    []string{"Evidence", "CrossBorderRecognition"},
		"foreignCredentialDigest": digest,
		"foreignIssuer":           res.Issuer,
		"foreignCredentialType":   res.Types,
		"recognitionGrounds":      res.Grounds,
		"registryVersion":         res.Grounds.RegistryVersion,
	}})
	if err != nil {
		return nil, errs.Wrap(CodeInvalidRequest, "invalid request: evidence", err)
	}
	out, err := is.issueTemplateWith(ctx, Request{Type: o.typ.Name, Subject: subject, Format: o.cfg.Format, Client: client}, evidence)
	if err != nil {
		return nil, err
	}
	rec.CredentialID = out.ID
	if client != nil {
		rec.Client = client.principal()
	}
	if out.Document != nil {
		rec.Credential = out.Document
	} else if rec.Credential, err = json.Marshal(out.Token); err != nil {
		return nil, errs.Wrap(CodeStore, "store failed: encoding credential", err)
	}
	if err := o.store.PutOnboarding(ctx, rec); err != nil {
		return nil, errs.Wrap(CodeStore, fmt.Sprintf("store failed: recording onboarding %s", id), err)
	}
	is.log.Info("foreign credential onboarded", "onboarding", id, "foreign_issuer", res.Issuer, "authority", res.Grounds.Authority,
		"registry_version", res.Grounds.RegistryVersion, "credential", out.ID)
	return &Onboarding{OnboardingRecord: rec}, nil
}

// lock takes the lock of a foreign credential digest and returns its release.
func (o *onboarding) lock(digest string) func() {
	mu := &o.locks[digest[len("sha256:")]%byte(len(o.locks))]
	mu.Lock()
	return mu.Unlock
}

// existing returns the record of a digest when there is one (Existing true), else nil.
func (o *onboarding) existing(ctx context.Context, id, digest string) (*Onboarding, error) {
	rec, ok, err := o.store.Onboarding(ctx, id)
	if err != nil {
		return nil, errs.Wrap(CodeStore, "store failed: reading onboarding record", err)
	}
	if ok && rec.ForeignDigest == digest {
		return &Onboarding{OnboardingRecord: rec, Existing: true}, nil
	}
	return nil, nil
}

// refusal turns a failed foreign verification into the issuer's error, listing the verifier's
// codes (public: they say why, never a claim value).
func refusal(res ForeignResult) error {
	code, what := CodeForeignNotVerified, "foreign credential not verified"
	switch {
	case res.Stale:
		code, what = CodeRegistryStale, "trust registry stale"
	case res.NotRecognised:
		code, what = CodeForeignNotRecognised, "foreign credential not recognised"
	}
	e := errs.Errorf(code, "%s: %s: %s", what, strings.Join(res.Codes, ", "), res.Message)
	return e.WithField("verifierCodes", slices.Clone(res.Codes))
}

// localSubject keeps the mapped claims the local type declares and names the others.
func (o *onboarding) localSubject(claims map[string]any) (map[string]any, []string) {
	subject := make(map[string]any, len(claims))
	var dropped []string
	for k, v := range claims {
		if _, ok := o.typ.claim(k); ok || k == "id" {
			subject[k] = v
		} else {
			dropped = append(dropped, k)
		}
	}
	slices.Sort(dropped)
	return subject, dropped
}

// OnboardingRecord returns an onboarding record with the current recognition of its foreign
// issuer (nil Current when the question could not be asked). The record carries the local
// credential, so only the client that onboarded (its key or one rotated from it) or an admin
// client reads it; to any other it does not exist.
func (is *Issuer) OnboardingRecord(ctx context.Context, id string, client *Client) (*Onboarding, error) {
	o := is.onboard
	if o == nil {
		return nil, errs.Errorf(CodeOnboardingDisabled, "onboarding disabled: this issuer onboards no foreign credentials")
	}
	rec, ok, err := o.store.Onboarding(ctx, id)
	if err != nil {
		return nil, errs.Wrap(CodeStore, "store failed: reading onboarding record", err)
	}
	if !ok || !client.Manages(rec.Client) {
		return nil, errs.Errorf(CodeOnboardingNotFound, "onboarding record not found: %q", id)
	}
	out := &Onboarding{OnboardingRecord: rec}
	st, err := o.cfg.Verifier.RecognitionNow(ctx, rec.ForeignIssuer, rec.ForeignTypes)
	if err != nil {
		is.log.Warn("current recognition of an onboarded issuer unavailable", "onboarding", id, "err", err)
		return out, nil
	}
	out.Current = &st
	return out, nil
}

// MemoryOnboarding is an in-memory OnboardingStore (tests, stores without one).
type MemoryOnboarding struct {
	mu   sync.Mutex
	recs map[string]OnboardingRecord
}

// NewMemoryOnboarding returns an empty in-memory OnboardingStore.
func NewMemoryOnboarding() *MemoryOnboarding {
	return &MemoryOnboarding{recs: map[string]OnboardingRecord{}}
}

// PutOnboarding implements OnboardingStore.
func (m *MemoryOnboarding) PutOnboarding(_ context.Context, rec OnboardingRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs[rec.ID] = rec
	return nil
}

// Onboarding implements OnboardingStore.
func (m *MemoryOnboarding) Onboarding(_ context.Context, id string) (OnboardingRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[id]
	return rec, ok, nil
}
