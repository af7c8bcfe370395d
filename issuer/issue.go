package issuer

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcld"
)

// ContextStatusV1 is the Bitstring Status List context, added to VC 1.1 credentials that get
// a BitstringStatusListEntry (VC 2.0's base context defines the terms already).
const ContextStatusV1 = "https://www.w3.org/ns/credentials/status/v1"

// MaxCredentialIDBytes bounds a credential id: a client-supplied one longer than this is refused
// at issuance, and a status change names at most this many bytes.
const MaxCredentialIDBytes = 2048

// ContextUndefinedTermsV2 maps terms no other context defines to the issuer-dependent
// vocabulary of VC 2.0 (https://www.w3.org/ns/credentials/issuer-dependent#).
const ContextUndefinedTermsV2 = "https://www.w3.org/ns/credentials/undefined-terms/v2"

// subjectObjectSkeleton is a parsed credential whose only use is the wire form it remembers:
// a single credentialSubject object. Template credentials start as a copy of it.
var subjectObjectSkeleton = func() vc.Credential {
	var c vc.Credential
	if err := json.Unmarshal([]byte(`{"@context":["`+vc.ContextV2+`"],"type":["VerifiableCredential"],"credentialSubject":{"id":"urn:x"}}`), &c); err != nil {
		panic(err)
	}
	return c
}()

// Request asks for one credential: either a credential type with subject claims (the
// template path), or a complete unsigned credential as VC-API clients send it.
type Request struct {
	// Type names a configured credential type (template path).
	Type string
	// Subject holds the subject claims (template path); "id" may carry the subject's DID.
	Subject map[string]any
	// Credential is a complete unsigned credential, VC 1.1 or 2.0 (VC-API path).
	Credential json.RawMessage
	// Format is the credential format; empty means the type's default (template path) or
	// the configured default for the credential's data model version.
	Format string
	// HolderJWK is the holder's public key as a JWK: SD-JWT VC binds it through cnf.jwk; W3C
	// formats use its did:jwk as credentialSubject.id when the subject has no id.
	HolderJWK json.RawMessage
	// Disclosable overrides the type's selectively disclosable claims (SD-JWT VC only);
	// nil keeps the type's list.
	Disclosable []string
	// Client is the authenticated caller; nil for trusted in-process callers.
	Client *Client
	// Record, when set, takes the credential's issuance record instead of Store.Record: the
	// caller logs it durably in a transaction of its own before it hands the credential out
	// (OpenID4VCI does so together with the offer's single-use state). Nil: Store.Record.
	Record func(ctx context.Context, rec IssueRecord) error
}

// Issued is a signed credential.
type Issued struct {
	// ID is the credential id (for status changes).
	ID string
	// Type is the credential type recorded in the log.
	Type string
	// Format is the format it was secured with.
	Format vc.Format
	// Token is the compact JWT or SD-JWT (JOSE formats).
	Token string
	// Document is the JSON-LD credential with its proof (Data Integrity).
	Document json.RawMessage
	// Status is the allocated status entry.
	Status StatusRef
	// KID is the verification method id of the signing key.
	KID string
	// ValidUntil is the end of validity (zero: none).
	ValidUntil time.Time
	// RegistryVersion is the trust registry version that answered the registry check (0: not
	// checked).
	RegistryVersion uint64
	// Warnings are the reservations of a warn-mode registry check; empty otherwise.
	Warnings []Warning
}

// holder is a parsed holder key.
type holder struct {
	pub crypto.PublicKey
	jwk json.RawMessage
	did string
}

func parseHolder(b json.RawMessage) (*holder, error) {
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	pub, _, err := keys.ParsePublicJWK(b)
	if err != nil {
		return nil, errs.Errorf(CodeInvalidHolderKey, "invalid holder key: %v", err)
	}
	jwk, err := keys.PublicJWK(pub, "")
	if err != nil {
		return nil, errs.Errorf(CodeInvalidHolderKey, "invalid holder key: %v", err)
	}
	d, _, err := did.JWKDID(pub)
	if err != nil {
		return nil, errs.Errorf(CodeInvalidHolderKey, "invalid holder key: %v", err)
	}
	return &holder{pub: pub, jwk: jwk, did: d}, nil
}

// Issue validates the request, allocates a status entry, signs the credential, and records
// it durably before returning it.
func (is *Issuer) Issue(ctx context.Context, req Request) (*Issued, error) {
	if is.closed.Load() {
		return nil, ErrClosed
	}
	if err := is.checkActing(req.Client); err != nil {
		return nil, err
	}
	switch {
	case len(req.Credential) > 0 && req.Type != "":
		return nil, errs.Errorf(CodeInvalidRequest, "invalid request: give either a credential or a type with subject claims, not both")
	case len(req.Credential) > 0:
		return is.issueCredential(ctx, req)
	case req.Type != "":
		return is.issueTemplate(ctx, req)
	}
	return nil, errs.Errorf(CodeInvalidRequest, "invalid request: give a credential, or a type with subject claims")
}

// plan is a credential ready to sign.
type plan struct {
	record      func(context.Context, IssueRecord) error // Request.Record
	format      vc.Format
	typ         string
	cred        *vc.Credential // W3C formats
	sd          *sdPlan        // SD-JWT VC
	validUntil  time.Time
	sk          *signingKey
	ref         StatusRef
	clientID    string
	credID      string
	issuedAt    time.Time
	holderJWK   json.RawMessage
	disclosable []string
	evidence    json.RawMessage // W3C formats: the evidence member (onboarding)

	registryVersion uint64
	registryWarning string
	warnings        []Warning
}

// sdPlan is the content of an SD-JWT VC.
type sdPlan struct {
	vct    string
	claims map[string]any
}

func (is *Issuer) pickFormat(f string, fallback vc.Format) (vc.Format, error) {
	if f == "" {
		return fallback, nil
	}
	return ParseFormat(f)
}

func checkAlg(f vc.Format, sk *signingKey) error {
	if f == vc.FormatDI && sk.key.Alg != keys.EdDSA {
		return errs.Errorf(CodeAlgNotAllowed, "algorithm not allowed: Data Integrity eddsa-rdfc-2022 needs an Ed25519 key; this issuer signs with %s", sk.key.Alg)
	}
	return nil
}

func (is *Issuer) issueTemplate(ctx context.Context, req Request) (*Issued, error) {
	return is.issueTemplateWith(ctx, req, nil)
}

// issueTemplateWith is issueTemplate with an evidence member for W3C formats (nil: none).
func (is *Issuer) issueTemplateWith(ctx context.Context, req Request, evidence json.RawMessage) (*Issued, error) {
	t, ok := is.types[req.Type]
	if !ok {
		return nil, errs.Errorf(CodeUnknownType, "unknown credential type: %q (configured: %s)", req.Type, strings.Join(is.order, ", "))
	}
	if !req.Client.Allows(t.Name) {
		return nil, errs.Errorf(CodeForbidden, "forbidden: API key %s may not issue %s", req.Client.ID, t.Name)
	}
	def := t.DefaultFormat
	if def == "" {
		def = vc.FormatVCJOSE
	}
	format, err := is.pickFormat(req.Format, def)
	if err != nil {
		return nil, err
	}
	if req.Subject == nil {
		req.Subject = map[string]any{}
	}
	if err := t.CheckSubject(req.Subject); err != nil {
		return nil, err
	}
	h, err := parseHolder(req.HolderJWK)
	if err != nil {
		return nil, err
	}
	disclosable := t.Disclosable()
	if req.Disclosable != nil {
		for _, n := range req.Disclosable {
			if _, ok := t.claim(n); !ok {
				return nil, errs.Errorf(CodeUnknownClaim, "unknown claim: disclosable claim %q is not a claim of %s", n, t.Name)
			}
		}
		// The type metadata says the type's disclosable claims are always selectively
		// disclosable: a request may add claims, never drop one of those.
		for _, n := range disclosable {
			if !slices.Contains(req.Disclosable, n) {
				return nil, errs.Errorf(CodeInvalidRequest, "invalid request: disclosable must keep %q, which %s always discloses selectively", n, t.Name)
			}
		}
		disclosable = req.Disclosable
	}
	sk := is.ring.signer()
	if err := checkAlg(format, sk); err != nil {
		return nil, err
	}
	now := is.cfg.Clock().UTC().Truncate(time.Second)
	p := &plan{format: format, typ: t.Name, sk: sk, issuedAt: now, validUntil: now.Add(t.ValidityOrDefault()),
		credID: newID(), disclosable: disclosable, evidence: evidence}
	if req.Client != nil {
		p.clientID = req.Client.principal()
	}
	subject := req.Subject // read only, unless a holder id or SD-JWT's sub changes it
	if h != nil || format == vc.FormatSDJWT {
		subject = make(map[string]any, len(req.Subject)+1)
		for k, v := range req.Subject {
			subject[k] = v
		}
	}
	if h != nil {
		p.holderJWK = h.jwk
		if _, ok := subject["id"]; !ok && format != vc.FormatSDJWT {
			subject["id"] = h.did
		}
	}
	if format == vc.FormatSDJWT {
		vct := is.vct(t)
		if id, ok := subject["id"].(string); ok {
			delete(subject, "id")
			subject["sub"] = id
		}
		p.sd = &sdPlan{vct: vct, claims: subject}
		p.record = req.Record
		return is.finish(ctx, p)
	}
	ctxs := []any{vc.ContextV2}
	if format == vc.FormatVCJWT11 {
		ctxs = []any{vc.ContextV1}
	}
	for _, c := range t.Contexts {
		ctxs = append(ctxs, c)
	}
	switch {
	case len(t.Contexts) > 0:
		// The operator's contexts define the type's terms.
	case format == vc.FormatDI:
		// Data Integrity runs JSON-LD in safe mode: every term must expand. VC 2.0 moved
		// the issuer-dependent @vocab out of its base context into this one, which every
		// verifier pins (pkg/vcld, the JS peers): URL contexts keep canonicalisation on its
		// pre-processed fast path, where an inline context would cost every verifier about
		// twice the CPU.
		ctxs = append(ctxs, ContextUndefinedTermsV2)
	case format == vc.FormatVCJWT11:
		// VC 1.1 has no @vocab: define the type's terms inline (nobody canonicalises a JWT).
		ctxs = append(ctxs, is.inline[t.Name])
	}
	vu := p.validUntil
	c := subjectObjectSkeleton // a copy: marshals credentialSubject as an object, not an array
	c.Context, c.ID, c.Type = ctxs, p.credID, []string{vc.TypeCredential, t.Name}
	c.Issuer, c.ValidFrom, c.ValidUntil, c.Subject = vc.Issuer{ID: sk.did}, &now, &vu, []map[string]any{subject}
	p.cred = &c
	p.record = req.Record
	return is.finish(ctx, p)
}

func (is *Issuer) issueCredential(ctx context.Context, req Request) (*Issued, error) {
	var c vc.Credential
	if err := json.Unmarshal(req.Credential, &c); err != nil {
		return nil, errs.Errorf(CodeInvalidCredential, "invalid credential: %v", err)
	}
	if len(c.Proof) > 0 {
		return nil, errs.Errorf(CodeInvalidCredential, "invalid credential: the credential already has a proof")
	}
	sk := is.ring.signer()
	switch {
	case c.Issuer.ID == "" && !is.cfg.FillIssuer:
		return nil, errs.Errorf(CodeInvalidCredential, "invalid credential: issuer is required (this issuer signs only credentials that name it: %s)", sk.did)
	case c.Issuer.ID == "":
		c.Issuer.ID = sk.did
	case c.Issuer.ID != sk.did && !is.cfg.AcceptForeignIssuer:
		return nil, errs.Errorf(CodeIssuerMismatch, "issuer mismatch: issuer %q is not this issuer (%s)", c.Issuer.ID, sk.did)
	}
	now := is.cfg.Clock().UTC().Truncate(time.Second)
	if c.ValidFrom == nil && (c.Version() == 1 || c.Version() == 2) {
		c.ValidFrom = &now
	}
	if err := c.Validate(); err != nil {
		return nil, errs.Errorf(CodeInvalidCredential, "invalid credential: %v", err)
	}
	typ := ""
	for _, t := range c.Type {
		if t != vc.TypeCredential {
			typ = t
			break
		}
	}
	if !req.Client.AllowsTypes(c.Type) {
		return nil, errs.Errorf(CodeForbidden, "forbidden: API key %s may not issue %v (its scopes must cover every type)", req.Client.ID, c.Type)
	}
	if err := is.checkTenantTypes(c.Type); err != nil {
		return nil, err
	}
	if typ == "" {
		typ = vc.TypeCredential
	}
	def := vc.FormatVCJWT11
	if c.Version() == 2 {
		def = is.cfg.DefaultFormat
		if def == "" {
			def = vc.FormatVCJOSE
		}
	}
	format, err := is.pickFormat(req.Format, def)
	if err != nil {
		return nil, err
	}
	switch {
	case format == vc.FormatSDJWT:
		return nil, errs.Errorf(CodeUnsupportedFormat, "unsupported format: an SD-JWT VC is issued from a credential type, not from a W3C credential")
	case format == vc.FormatVCJOSE && c.Version() != 2:
		return nil, errs.Errorf(CodeUnsupportedFormat, "unsupported format: VC-JOSE-COSE (vc+jwt) secures VC Data Model 2.0 credentials only; use jwt_vc_json for 1.1")
	case format == vc.FormatVCJWT11 && c.Version() != 1:
		return nil, errs.Errorf(CodeUnsupportedFormat, "unsupported format: jwt_vc_json secures VC Data Model 1.1 credentials only; use vc+jwt for 2.0")
	}
	if err := checkAlg(format, sk); err != nil {
		return nil, err
	}
	if err := is.checkClientStatus(c.Status); err != nil {
		return nil, err
	}
	if err := validateLD(ctx, &c); err != nil {
		return nil, err
	}
	h, err := parseHolder(req.HolderJWK)
	if err != nil {
		return nil, err
	}
	if h != nil && len(c.Subject) > 0 {
		if _, ok := c.Subject[0]["id"]; !ok {
			c.Subject[0]["id"] = h.did
		}
	}
	if c.ID == "" {
		c.ID = newID()
	}
	if len(c.ID) > MaxCredentialIDBytes {
		return nil, errs.Errorf(CodeInvalidCredential, "invalid credential: the id has %d bytes; at most %d, so that its status can be changed", len(c.ID), MaxCredentialIDBytes)
	}
	p := &plan{format: format, typ: typ, sk: sk, issuedAt: now, cred: &c, credID: c.ID}
	if c.ValidUntil != nil {
		p.validUntil = c.ValidUntil.UTC()
	}
	if req.Client != nil {
		p.clientID = req.Client.principal()
	}
	p.record = req.Record
	return is.finish(ctx, p)
}

// validateLD is the one JSON-LD validation of a client-supplied credential, run for every
// format before anything is allocated or signed: a credential secured as a JWT must be one the
// issuer would also sign with Data Integrity (every term defined, types and ids absolute IRIs,
// no protected term redefined, well-formed language values).
func validateLD(ctx context.Context, c *vc.Credential) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return errs.Errorf(CodeInvalidCredential, "invalid credential: %v", err)
	}
	if err := vcld.ValidateCredential(ctx, doc); err != nil {
		return errs.Errorf(CodeInvalidCredential, "invalid credential: %v", err)
	}
	return nil
}

// checkClientStatus validates a client-supplied credentialStatus: typed objects; Bitstring
// entries well formed; and none pointing at this issuer's own lists, whose indexes only the
// issuer allocates.
func (is *Issuer) checkClientStatus(entries []map[string]any) error {
	for i, e := range entries {
		t, _ := e["type"].(string)
		if t == "" {
			return errs.Errorf(CodeInvalidStatus, "invalid credentialStatus: credentialStatus[%d] has no type", i)
		}
		if id, ok := e["id"]; ok {
			if s, isStr := id.(string); !isStr || !vc.IsURL(s) {
				return errs.Errorf(CodeInvalidStatus, "invalid credentialStatus: credentialStatus[%d].id is not a URL", i)
			}
		}
		if t != "BitstringStatusListEntry" {
			continue
		}
		purpose, _ := e["statusPurpose"].(string)
		switch purpose {
		case "revocation", "suspension", "refresh", "message":
		default:
			return errs.Errorf(CodeInvalidStatus, "invalid credentialStatus: credentialStatus[%d].statusPurpose %q", i, purpose)
		}
		idx, _ := e["statusListIndex"].(string)
		if n, err := strconv.ParseUint(idx, 10, 63); err != nil || (idx != "0" && strings.HasPrefix(idx, "0")) || n > 1<<40 {
			return errs.Errorf(CodeInvalidStatus, "invalid credentialStatus: credentialStatus[%d].statusListIndex must be a non-negative integer as a string", i)
		}
		list, _ := e["statusListCredential"].(string)
		if !vc.IsURL(list) {
			return errs.Errorf(CodeInvalidStatus, "invalid credentialStatus: credentialStatus[%d].statusListCredential must be a URL", i)
		}
	}
	for i, e := range entries {
		for _, m := range []string{"statusListCredential", "id"} {
			if u, _ := e[m].(string); u != "" && underURL(u, is.root) {
				return errs.Errorf(CodeInvalidStatus, "invalid credentialStatus: credentialStatus[%d] points at a status list of this deployment; the issuer allocates its entries", i)
			}
		}
	}
	return nil
}

// underURL reports whether u names a resource under base (an absolute http(s) URL without a
// trailing slash) however it is spelt: scheme, host case and trailing dot, default port,
// user info, escaped characters, dot segments and repeated slashes do not matter.
func underURL(u, base string) bool {
	pu, err := url.Parse(u)
	if err != nil {
		return strings.HasPrefix(strings.ToLower(u), strings.ToLower(base)+"/")
	}
	pb, err := url.Parse(base)
	if err != nil {
		return false
	}
	if hostPort(pu) != hostPort(pb) {
		return false
	}
	bp := strings.TrimRight(path.Clean("/"+pb.Path), "/")
	return strings.HasPrefix(path.Clean("/"+pu.Path)+"/", bp+"/")
}

// hostPort is a URL's host in lower case without a trailing dot, with its port or the
// scheme's default one.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".") + ":" + port
}

// checkTenantTypes refuses, at a tenant created for some credential types only, a
// client-supplied credential asserting any other type (the base type aside).
func (is *Issuer) checkTenantTypes(types []string) error {
	if !is.typesLimited {
		return nil
	}
	for _, t := range types {
		if _, ok := is.types[t]; !ok && t != vc.TypeCredential {
			return errs.Errorf(CodeUnknownType, "unknown credential type: %q is not a type tenant %s issues (its types: %s)", t, is.tenant, strings.Join(is.order, ", "))
		}
	}
	return nil
}

// w3cStatus returns the Bitstring entries (revocation and suspension) of a status ref.
func (is *Issuer) w3cStatus(ref StatusRef) []map[string]any {
	idx := strconv.FormatUint(uint64(ref.Index), 10)
	rev, sus := is.BitstringURL("revocation", ref.Set), is.BitstringURL("suspension", ref.Set)
	return []map[string]any{
		{"id": rev + "#" + idx, "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
			"statusListIndex": idx, "statusListCredential": rev},
		{"id": sus + "#" + idx, "type": "BitstringStatusListEntry", "statusPurpose": "suspension",
			"statusListIndex": idx, "statusListCredential": sus},
	}
}

// BitstringURL is the URL of a Bitstring status list credential.
func (is *Issuer) BitstringURL(purpose string, set uint32) string {
	return is.cfg.BaseURL + "/status/bitstring/" + purpose + "-" + strconv.FormatUint(uint64(set), 10)
}

// TokenListURL is the URL of a Token Status List.
func (is *Issuer) TokenListURL(set uint32) string {
	return is.cfg.BaseURL + "/status/token/" + strconv.FormatUint(uint64(set), 10)
}

// finish allocates the status entry, signs, and records the credential durably.
func (is *Issuer) finish(ctx context.Context, p *plan) (*Issued, error) {
	if err := is.authorise(ctx, p); err != nil {
		return nil, err
	}
	if len(p.evidence) > 0 && p.cred != nil {
		if p.cred.Extra == nil {
			p.cred.Extra = map[string]json.RawMessage{}
		}
		p.cred.Extra["evidence"] = p.evidence
	}
	exp := p.validUntil
	if exp.IsZero() {
		exp = MaxTime
	}
	// Raise the key's publication mark before the credential exists, so that a rotation
	// racing with this issuance never unpublishes the key that signs it.
	p.sk.raiseExpiry(exp)
	var status []map[string]any
	if p.cred != nil {
		status = slices.Clip(p.cred.Status)
	}
	for attempt := 1; ; attempt++ {
		out, err := is.allocateSignRecord(ctx, p, status)
		// Issuers sharing one Store allocate from their own view of the status lists: when
		// another process recorded the same entry first, the entry stays marked here and
		// the credential is signed again on another one (it was never handed out).
		if errors.Is(err, ErrIndexTaken) && attempt < maxAllocAttempts {
			is.log.Debug("status index taken by another issuer process: allocating again", "set", p.ref.Set, "index", p.ref.Index)
			continue
		}
		return out, err
	}
}

// maxAllocAttempts bounds the allocations of one issuance that lose a race for their status
// entry to another issuer process sharing the Store.
const maxAllocAttempts = 8

// allocateSignRecord allocates a status entry, signs the credential with it (status is the
// credential's own credentialStatus), and records it durably.
func (is *Issuer) allocateSignRecord(ctx context.Context, p *plan, status []map[string]any) (*Issued, error) {
	ref, err := is.status.allocate()
	if err != nil {
		return nil, err
	}
	p.ref = ref
	out := &Issued{ID: p.credID, Type: p.typ, Format: p.format, Status: ref, KID: p.sk.key.ID, ValidUntil: p.validUntil,
		RegistryVersion: p.registryVersion, Warnings: p.warnings}
	if p.cred != nil {
		p.cred.Status = append(status, is.w3cStatus(ref)...)
		if p.cred.Version() == 1 && !slices.Contains(p.cred.Context, any(ContextStatusV1)) {
			p.cred.Context = append(slices.Clip(p.cred.Context), ContextStatusV1)
		}
	}
	if err := is.sign(ctx, p, out); err != nil {
		return nil, err
	}
	rec := IssueRecord{ID: p.credID, Type: p.typ, Format: string(p.format), Status: ref, KeyID: p.sk.local,
		Issued: p.issuedAt, Expires: p.validUntil, Client: p.clientID,
		RegistryVersion: p.registryVersion, RegistryWarning: p.registryWarning, Tenant: is.tenant}
	record := is.cfg.Store.Record
	if p.record != nil {
		record = p.record
	}
	if err := record(ctx, rec); err != nil {
		return nil, fmt.Errorf("recording credential %s: %w", p.credID, err)
	}
	return out, nil
}
