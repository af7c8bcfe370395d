package vcld

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Result is what a verified credential says, read from the verified JSON.
// Safe mode guarantees that every member of that JSON was covered by the
// signature.
type Result struct {
	// ID is the credential's id, if any.
	ID string
	// Version is the VC Data Model version, 1 (1.1) or 2 (2.0), from the
	// first @context.
	Version int
	// Issuer is the issuer id (the string, or the id of the issuer object).
	Issuer string
	// Types are the credential's types in document order.
	Types []string
	// ValidFrom and ValidUntil are validFrom/validUntil (VC 2.0) or
	// issuanceDate/expirationDate (VC 1.1), nil when absent.
	ValidFrom, ValidUntil *time.Time
	// Subject holds the credentialSubject object(s).
	Subject []map[string]any
	// Status holds the credentialStatus object(s).
	Status []map[string]any
	// VerificationMethod and Suite are those of the issuer's proof (the
	// first proof for assertionMethod by the issuer).
	VerificationMethod string
	Suite              Suite
	// Proofs describe every verified proof, in document order: the
	// issuer's and any other party's (a witness or endorser of a proof
	// set or chain).
	Proofs []ProofInfo
}

// IssuerProof returns the issuer's proof: the first proof for
// assertionMethod whose verification method is the issuer's.
func (r *Result) IssuerProof() ProofInfo {
	if i := issuerProof(r.Proofs, r.Issuer); i >= 0 {
		return r.Proofs[i]
	}
	return ProofInfo{}
}

// issuerProof returns the index of the first assertionMethod proof by
// issuer, or -1.
func issuerProof(infos []ProofInfo, issuer string) int {
	for i, pi := range infos {
		if pi.ProofPurpose == PurposeAssertionMethod && pi.Controller() == issuer {
			return i
		}
	}
	return -1
}

// credentialShape is the part of the data model vcld needs.
func credentialShape(doc map[string]any) (version int, issuer string, err error) {
	version, err = modelVersion(doc)
	if err != nil {
		return 0, "", err
	}
	types := stringsOf(doc["type"])
	if !slices.Contains(types, "VerifiableCredential") {
		return 0, "", fmt.Errorf("vcld: type does not include VerifiableCredential: %w", ErrMalformed)
	}
	switch is := doc["issuer"].(type) {
	case string:
		issuer = is
	case map[string]any:
		issuer, _ = is["id"].(string)
	}
	if issuer == "" || !isAbsoluteIRI(issuer) {
		return 0, "", fmt.Errorf("vcld: issuer is missing or not an IRI: %w", ErrMalformed)
	}
	if doc["credentialSubject"] == nil {
		return 0, "", fmt.Errorf("vcld: credentialSubject missing: %w", ErrMalformed)
	}
	return version, issuer, nil
}

func modelVersion(doc map[string]any) (int, error) {
	ctxs := asSlice(doc["@context"])
	if len(ctxs) == 0 {
		return 0, fmt.Errorf("vcld: no @context: %w", ErrMalformed)
	}
	switch ctxs[0] {
	case ContextCredentialsV1:
		return 1, nil
	case ContextCredentialsV2:
		return 2, nil
	}
	return 0, fmt.Errorf("vcld: first @context is %v, not a VC 1.1 or 2.0 context: %w", ctxs[0], ErrMalformed)
}

// stringsOf returns the strings of a string-or-array value.
func stringsOf(v any) []string {
	var out []string
	for _, e := range asSlice(v) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func objects(v any) []map[string]any {
	var out []map[string]any
	for _, e := range asSlice(v) {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// SignCredential adds a Data Integrity proof to an unsigned VC 1.1 or 2.0
// credential (JSON) and returns the secured credential. For a VC 1.1
// credential the Data Integrity v2 context (or the Ed25519Signature2020
// context) is appended to @context when missing, as the JavaScript
// implementations do. Member order and values of the input are kept.
func (p *Processor) SignCredential(ctx context.Context, doc []byte, o SignOptions) ([]byte, error) {
	return p.signDocument(ctx, doc, o, "credential", func(m map[string]any) (string, error) {
		_, issuer, err := credentialShape(m)
		if err == nil && controllerOf(o.VerificationMethod) != issuer {
			err = fmt.Errorf("vcld: sign: verification method %q is not the issuer's (%s): %w", o.VerificationMethod, issuer, ErrProofMismatch)
		}
		return PurposeAssertionMethod, err
	}, nil)
}

// signDocument decodes raw, lets check validate it (and give the default
// proof purpose), signs the view of it and writes the proof into raw.
func (p *Processor) signDocument(ctx context.Context, raw []byte, o SignOptions, what string,
	check func(map[string]any) (string, error), view func(map[string]any) map[string]any) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.limits.Timeout)
	defer cancel()
	m, err := p.decode(raw)
	if err != nil {
		return nil, err
	}
	if _, ok := m["proof"]; ok {
		return nil, fmt.Errorf("vcld: sign: %s already has a proof: %w", what, ErrMalformed)
	}
	purpose, err := check(m)
	if err != nil {
		return nil, err
	}
	before := m["@context"]
	proof, err := p.sign(ctx, m, o, purpose, view)
	if err != nil {
		return nil, err
	}
	var set []member
	if !sameJSON(before, m["@context"]) {
		b, err := marshal(m["@context"])
		if err != nil {
			return nil, fmt.Errorf("vcld: encode @context: %w", err)
		}
		set = append(set, member{"@context", b})
	}
	pb, err := marshal(proof)
	if err != nil {
		return nil, fmt.Errorf("vcld: encode proof: %w", err)
	}
	set = append(set, member{"proof", pb})
	return withMembers(raw, set)
}

func sameJSON(a, b any) bool {
	x, err1 := jsonCanon(a)
	y, err2 := jsonCanon(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// VerifyCredential verifies a credential secured with eddsa-rdfc-2022 or
// Ed25519Signature2020 proofs: a single proof, a proof set or a proof
// chain (previousProof). Every proof must verify, and at least one must
// be the issuer's: purpose assertionMethod, a verification method of the
// issuer's DID (ErrProofMismatch otherwise). Proofs by others (witnesses,
// endorsers) are verified with keys from the same resolver and reported in
// Result.Proofs; which of them a caller requires is its policy. A
// previousProof naming no proof of the credential, a cycle of references
// or a repeated proof id is ErrProofChain. It checks signatures and safe
// JSON-LD only: validity times, status and trust are the caller's.
func (p *Processor) VerifyCredential(ctx context.Context, doc []byte, keys KeyResolver) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, p.limits.Timeout)
	defer cancel()
	m, err := p.decode(doc)
	if err != nil {
		return nil, err
	}
	if err := checkInlineContexts(m); err != nil {
		return nil, err
	}
	return p.verifyCredentialMap(ctx, m, keys, nil)
}

// verifyCredentialMap verifies the decoded credential m. embedded, when
// not nil, is m's expanded node (with its proof) from the presentation
// that embeds it (see reuse.go).
func (p *Processor) verifyCredentialMap(ctx context.Context, m map[string]any, keys KeyResolver, embedded map[string]any) (*Result, error) {
	version, issuer, err := credentialShape(m)
	if err != nil {
		return nil, err
	}
	proofs := asSlice(m["proof"])
	unsecured := make(map[string]any, len(m))
	for k, v := range m {
		if k != "proof" {
			unsecured[k] = v
		}
	}
	infos, err := p.verifyProofs(ctx, unsecured, proofs, keys, func(pi ProofInfo) error {
		if pi.ProofPurpose == "" {
			return fmt.Errorf("vcld: credential proof by %q has no proof purpose: %w", pi.VerificationMethod, ErrProofMismatch)
		}
		return nil
	}, func(infos []ProofInfo) error {
		if issuerProof(infos, issuer) < 0 {
			return fmt.Errorf("vcld: no proof for assertionMethod by a verification method of the issuer %s among %d proofs: %w", issuer, len(infos), ErrProofMismatch)
		}
		return nil
	}, &proofWork{expanded: p.unsecuredFromEmbedded(unsecured, embedded), cacheDoc: p.proofCacheDoc(m)})
	if err != nil {
		return nil, err
	}
	first := infos[issuerProof(infos, issuer)]
	r := &Result{
		Version:            version,
		Issuer:             issuer,
		Types:              stringsOf(m["type"]),
		Subject:            objects(m["credentialSubject"]),
		Status:             objects(m["credentialStatus"]),
		VerificationMethod: first.VerificationMethod,
		Suite:              first.Suite,
		Proofs:             infos,
	}
	r.ID, _ = m["id"].(string)
	from, until := "validFrom", "validUntil"
	if version == 1 {
		from, until = "issuanceDate", "expirationDate"
	}
	if r.ValidFrom, err = optTime(m, from); err != nil {
		return nil, err
	}
	if r.ValidUntil, err = optTime(m, until); err != nil {
		return nil, err
	}
	return r, nil
}

// proofCacheDoc returns the canonical JSON of the secured credential m
// when the processor caches verdicts, else nil.
func (p *Processor) proofCacheDoc(m map[string]any) []byte {
	if p.proofs == nil {
		return nil
	}
	b, err := jsonCanon(m)
	if err != nil {
		return nil
	}
	return b
}

func optTime(m map[string]any, k string) (*time.Time, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("vcld: %s is %T, not a string: %w", k, v, ErrMalformed)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("vcld: %s %q is not an RFC 3339 date-time: %w", k, s, ErrMalformed)
	}
	return &t, nil
}

// ValidateCredential checks an unsigned VC 1.1 or 2.0 credential (JSON) as SignCredential
// would before signing it, without a key: the data model shape it reads, and safe-mode
// JSON-LD processing (every term defined, no protected term redefined, well-formed value
// objects, types and ids that expand to absolute IRIs), canonicalised within the limits.
// An issuer calls it for every format, so that a credential it secures as a JWT is one it
// would also sign with Data Integrity.
func (p *Processor) ValidateCredential(ctx context.Context, doc []byte) error {
	ctx, cancel := context.WithTimeout(ctx, p.limits.Timeout)
	defer cancel()
	m, err := p.decode(doc)
	if err != nil {
		return err
	}
	if _, _, err := credentialShape(m); err != nil {
		return err
	}
	_, err = p.canonicalize(ctx, m)
	return err
}

// ValidateCredential validates with the Default processor.
func ValidateCredential(ctx context.Context, doc []byte) error {
	return Default().ValidateCredential(ctx, doc)
}

// SignCredential signs with the Default processor.
func SignCredential(ctx context.Context, doc []byte, o SignOptions) ([]byte, error) {
	return Default().SignCredential(ctx, doc, o)
}

// VerifyCredential verifies with the Default processor.
func VerifyCredential(ctx context.Context, doc []byte, keys KeyResolver) (*Result, error) {
	return Default().VerifyCredential(ctx, doc, keys)
}
