package vcld

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mr-tron/base58"

	"github.com/idport/idport/pkg/edsig"
)

// Suite names a Data Integrity / Linked Data proof suite.
type Suite string

// Supported suites.
const (
	// EddsaRdfc2022 is a DataIntegrityProof with cryptosuite eddsa-rdfc-2022
	// (Ed25519 over RDFC-1.0 canonical N-Quads). It is what this package signs.
	EddsaRdfc2022 Suite = "eddsa-rdfc-2022"
	// Ed25519Signature2020 is the older Linked Data proof type of the same
	// construction, common in the VC 1.1 world. Verified here; signed by
	// a Processor given a ProofMaker for it (pkg/vcld/ariessign, with
	// aries-framework-go's suite of that name).
	Ed25519Signature2020 Suite = "Ed25519Signature2020"
)

// Proof purposes.
const (
	PurposeAssertionMethod = "assertionMethod"
	PurposeAuthentication  = "authentication"
)

// KeyResolver returns the public key of a verification method (a DID URL
// such as did:key:z6Mk...#z6Mk... or did:web:example.com#key-1). Only
// ed25519.PublicKey is supported by the current suites.
type KeyResolver func(ctx context.Context, verificationMethod string) (crypto.PublicKey, error)

// SignOptions say how to make a proof.
type SignOptions struct {
	// Signer holds the Ed25519 private key (an ed25519.PrivateKey is a
	// crypto.Signer). Required.
	Signer crypto.Signer
	// VerificationMethod is the key id placed in the proof, a DID URL whose
	// DID is the credential's issuer (or the presentation's holder). Required.
	VerificationMethod string
	// Suite defaults to EddsaRdfc2022.
	Suite Suite
	// Created defaults to the processor's clock; it is written to the
	// second, in UTC.
	Created time.Time
	// ProofPurpose defaults to assertionMethod for credentials and
	// authentication for presentations.
	ProofPurpose string
	// Challenge and Domain go into presentation proofs (and any proof when
	// set).
	Challenge, Domain string
	// ID is the proof's id, an absolute IRI such as urn:uuid:...; set it
	// on a proof that a later proof may chain to (previousProof).
	// Optional, eddsa-rdfc-2022 only.
	ID string
	// PreviousProof names, by id, the proofs of the document this proof
	// chains to (Data Integrity proof chains): the proof is computed over
	// the document with exactly those proofs attached. Used by AddProof;
	// empty makes a proof of a proof set. eddsa-rdfc-2022 only.
	PreviousProof []string
}

// ProofInfo describes a verified proof.
type ProofInfo struct {
	Suite              Suite
	VerificationMethod string
	ProofPurpose       string
	Created            time.Time
	// Expires is the proof's expiry, zero when it has none. An expired
	// proof does not verify.
	Expires           time.Time
	Challenge, Domain string
	// ID is the proof's id, empty when it has none.
	ID string
	// PreviousProof lists the ids of the proofs this one chains to, empty
	// for a proof of a proof set.
	PreviousProof []string
}

// Controller returns the DID of the proof's verification method.
func (pi ProofInfo) Controller() string { return controllerOf(pi.VerificationMethod) }

// suiteContext is the context that defines the proof type of a suite for
// documents whose base context does not.
func suiteContext(s Suite) string {
	if s == Ed25519Signature2020 {
		return ContextEd25519Signature2020V1
	}
	return ContextDataIntegrityV2
}

// ensureSuiteContext appends the suite's context to doc's @context when the
// document's contexts do not already define the proof type. It reports
// whether it changed the document.
func ensureSuiteContext(doc map[string]any, s Suite) bool {
	ctxs := asSlice(doc["@context"])
	has := func(urls ...string) bool {
		for _, c := range ctxs {
			if u, ok := c.(string); ok && slices.Contains(urls, u) {
				return true
			}
		}
		return false
	}
	switch s {
	case EddsaRdfc2022:
		if has(ContextCredentialsV2, ContextDataIntegrityV1, ContextDataIntegrityV2) {
			return false
		}
	case Ed25519Signature2020:
		if has(ContextEd25519Signature2020V1) {
			return false
		}
	}
	doc["@context"] = append(slices.Clone(ctxs), suiteContext(s))
	return true
}

// sign adds a proof to doc (which must not have one) and returns it. view,
// when not nil, gives the form of the document that is canonicalised.
func (p *Processor) sign(ctx context.Context, doc map[string]any, o SignOptions, defaultPurpose string, view func(map[string]any) map[string]any) (map[string]any, error) {
	if o.Signer == nil {
		return nil, fmt.Errorf("vcld: sign: no signer: %w", ErrMalformed)
	}
	pub, ok := o.Signer.Public().(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("vcld: sign: key is %T, need Ed25519: %w", o.Signer.Public(), ErrUnsupportedSuite)
	}
	if o.VerificationMethod == "" || !isAbsoluteIRI(o.VerificationMethod) {
		return nil, fmt.Errorf("vcld: sign: verification method %q is not an absolute IRI: %w", o.VerificationMethod, ErrMalformed)
	}
	if p.checkSigner != nil {
		if err := p.checkSigner(o.VerificationMethod, pub); err != nil {
			return nil, fmt.Errorf("vcld: sign: %w", err)
		}
	}
	if o.Suite == "" {
		o.Suite = EddsaRdfc2022
	}
	if o.Suite != EddsaRdfc2022 && o.Suite != Ed25519Signature2020 {
		return nil, fmt.Errorf("vcld: sign: suite %q: %w", o.Suite, ErrUnsupportedSuite)
	}
	if o.ProofPurpose == "" {
		o.ProofPurpose = defaultPurpose
	}
	created := o.Created
	if created.IsZero() {
		created = p.now()
	}
	created = created.UTC().Truncate(time.Second)
	ensureSuiteContext(doc, o.Suite)
	unsecured := doc
	if view != nil {
		unsecured = view(doc)
	}
	if o.ID != "" && !isAbsoluteIRI(o.ID) {
		return nil, fmt.Errorf("vcld: sign: proof id %q is not an absolute IRI: %w", o.ID, ErrMalformed)
	}
	if o.Suite == Ed25519Signature2020 {
		if o.ID != "" || len(o.PreviousProof) > 0 {
			return nil, fmt.Errorf("vcld: sign: proof ids and chains are made with eddsa-rdfc-2022 only: %w", ErrUnsupportedSuite)
		}
		// The legacy suite is signed by the Processor's ProofMaker
		// (pkg/vcld/ariessign: aries-framework-go).
		return p.signExternal(ctx, unsecured, o, created)
	}
	proof := map[string]any{
		"type":               "DataIntegrityProof",
		"cryptosuite":        string(EddsaRdfc2022),
		"created":            created.Format(time.RFC3339),
		"verificationMethod": o.VerificationMethod,
		"proofPurpose":       o.ProofPurpose,
	}
	if o.Challenge != "" {
		proof["challenge"] = o.Challenge
	}
	if o.Domain != "" {
		proof["domain"] = o.Domain
	}
	if o.ID != "" {
		proof["id"] = o.ID
	}
	switch len(o.PreviousProof) {
	case 0:
	case 1:
		proof["previousProof"] = o.PreviousProof[0]
	default:
		prev := make([]any, len(o.PreviousProof))
		for i, id := range o.PreviousProof {
			prev[i] = id
		}
		proof["previousProof"] = prev
	}
	data, err := p.hashData(ctx, unsecured, proof)
	if err != nil {
		return nil, err
	}
	sig, err := signEd25519(o.Signer, data)
	if err != nil {
		return nil, fmt.Errorf("vcld: sign: %w", err)
	}
	proof["proofValue"] = "z" + base58.Encode(sig)
	return proof, nil
}

// signEd25519 signs data with s: an in-memory Ed25519 key through pkg/edsig,
// any other signer (a key in a hardware module, say) through its own Sign.
func signEd25519(s crypto.Signer, data []byte) ([]byte, error) {
	if priv, ok := s.(ed25519.PrivateKey); ok && len(priv) == ed25519.PrivateKeySize {
		return edsig.Sign(priv, data), nil
	}
	return s.Sign(rand.Reader, data, crypto.Hash(0))
}

// hashData is the data signed by both suites: SHA-256 of the canonical proof
// configuration (the proof without proofValue, under the document's
// @context) followed by SHA-256 of the canonical unsecured document.
func (p *Processor) hashData(ctx context.Context, unsecured map[string]any, proof map[string]any) ([]byte, error) {
	docHash, err := p.canonicalHash(ctx, unsecured)
	if err != nil {
		return nil, err
	}
	return p.hashDataWith(ctx, unsecured, proof, docHash)
}

func (p *Processor) canonicalHash(ctx context.Context, doc map[string]any) ([32]byte, error) {
	c, err := p.canonicalize(ctx, doc)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256([]byte(c)), nil
}

func (p *Processor) hashDataWith(ctx context.Context, unsecured, proof map[string]any, docHash [32]byte) ([]byte, error) {
	cfg := make(map[string]any, len(proof)+1)
	for k, v := range proof {
		switch k {
		case "proofValue", "jws", "signatureValue", "@context":
			continue
		}
		cfg[k] = v
	}
	cfg["@context"] = unsecured["@context"]
	c, err := p.canonicalProofConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("vcld: proof options: %w", err)
	}
	ph := sha256.Sum256([]byte(c))
	return append(ph[:], docHash[:]...), nil
}

// parseProof checks one proof object's shape and returns its parts.
func parseProof(v any) (map[string]any, ProofInfo, []byte, error) {
	proof, ok := v.(map[string]any)
	if !ok {
		return nil, ProofInfo{}, nil, fmt.Errorf("vcld: proof is %T, not an object: %w", v, ErrMalformed)
	}
	var info ProofInfo
	typ, _ := proof["type"].(string)
	switch typ {
	case "DataIntegrityProof":
		cs, _ := proof["cryptosuite"].(string)
		if cs != string(EddsaRdfc2022) {
			return nil, info, nil, fmt.Errorf("vcld: cryptosuite %q: %w", cs, ErrUnsupportedSuite)
		}
		info.Suite = EddsaRdfc2022
	case string(Ed25519Signature2020):
		info.Suite = Ed25519Signature2020
	default:
		return nil, info, nil, fmt.Errorf("vcld: proof type %q: %w", typ, ErrUnsupportedSuite)
	}
	str := func(k string) (string, error) {
		switch s := proof[k].(type) {
		case nil:
			return "", nil
		case string:
			return s, nil
		default:
			return "", fmt.Errorf("vcld: proof %s is %T, not a string: %w", k, s, ErrMalformed)
		}
	}
	var err error
	if info.VerificationMethod, err = str("verificationMethod"); err != nil {
		return nil, info, nil, err
	}
	if info.ProofPurpose, err = str("proofPurpose"); err != nil {
		return nil, info, nil, err
	}
	if info.Challenge, err = str("challenge"); err != nil {
		return nil, info, nil, err
	}
	if info.Domain, err = str("domain"); err != nil {
		return nil, info, nil, err
	}
	if info.ID, err = str("id"); err != nil {
		return nil, info, nil, err
	}
	switch prev := proof["previousProof"].(type) {
	case nil:
	case string:
		info.PreviousProof = []string{prev}
	case []any:
		for _, e := range prev {
			id, ok := e.(string)
			if !ok {
				return nil, info, nil, fmt.Errorf("vcld: proof previousProof holds %T, not a string: %w", e, ErrMalformed)
			}
			info.PreviousProof = append(info.PreviousProof, id)
		}
		if len(info.PreviousProof) == 0 {
			return nil, info, nil, fmt.Errorf("vcld: proof previousProof is an empty array: %w", ErrMalformed)
		}
	default:
		return nil, info, nil, fmt.Errorf("vcld: proof previousProof is %T, not a string or an array of strings: %w", prev, ErrMalformed)
	}
	for _, f := range []struct {
		name string
		to   *time.Time
	}{{"created", &info.Created}, {"expires", &info.Expires}} {
		v, err := str(f.name)
		if err != nil {
			return nil, info, nil, err
		}
		if v == "" {
			continue
		}
		if *f.to, err = time.Parse(time.RFC3339, v); err != nil {
			return nil, info, nil, fmt.Errorf("vcld: proof %s %q is not an RFC 3339 date-time: %w", f.name, v, ErrMalformed)
		}
	}
	pv, err := str("proofValue")
	if err != nil {
		return nil, info, nil, err
	}
	if info.VerificationMethod == "" || pv == "" {
		return nil, info, nil, fmt.Errorf("vcld: proof lacks verificationMethod or proofValue: %w", ErrMalformed)
	}
	if pv[0] != 'z' {
		return nil, info, nil, fmt.Errorf("vcld: proofValue is not multibase base58btc: %w", ErrMalformed)
	}
	sig, err := base58.Decode(pv[1:])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, info, nil, fmt.Errorf("vcld: proofValue is not a base58btc Ed25519 signature: %w", ErrSignatureInvalid)
	}
	return proof, info, sig, nil
}

// maxProofs bounds the proofs of one document (each may need its own
// canonicalisation and key resolution).
const maxProofs = 8

// parsedProof is one proof of a document, checked for shape.
type parsedProof struct {
	proof map[string]any
	info  ProofInfo
	sig   []byte
}

// verifyProofs verifies every proof of a secured document, a proof set or
// a proof chain (Data Integrity 1.0, 2.1.2 and 4.4): a proof without
// previousProof is over unsecured alone; one with previousProof is over
// unsecured with exactly the proofs it names attached as proof. unsecured
// is the document without its proof member. check inspects each parsed
// proof before any key is resolved (purpose, controller, challenge);
// checkSet inspects them all (who must have signed), when not nil.
//
// work, when not nil, passes expanded forms between a presentation's
// proofs and its credentials' (see reuse.go) and asks for the verdict to
// be cached (see proofcache.go).
func (p *Processor) verifyProofs(ctx context.Context, unsecured map[string]any, proofs []any, keys KeyResolver, check func(ProofInfo) error, checkSet func([]ProofInfo) error, work *proofWork) ([]ProofInfo, error) {
	ps, infos, err := p.parseProofSet(unsecured, proofs, keys, check, checkSet)
	if err != nil {
		return nil, err
	}
	// Keys are resolved before any canonicalisation when the verdict may
	// come from the proof cache (which is keyed by them).
	var resolved []ed25519.PublicKey
	var cacheKey [32]byte
	caching := work != nil && work.cacheDoc != nil && p.proofs != nil
	if caching {
		if resolved, err = resolveKeys(ctx, keys, ps); err != nil {
			return nil, err
		}
		cacheKey = proofCacheKey(work.cacheDoc, ps, resolved)
		if p.proofs.has(cacheKey) {
			return infos, nil
		}
	}
	if err := p.checkSignatures(ctx, unsecured, ps, resolved, keys, work); err != nil {
		return nil, err
	}
	if caching {
		p.proofs.add(cacheKey)
	}
	return infos, nil
}

// parseProofSet parses the proofs and runs every check that needs no
// canonicalisation: proof contexts, expiry, check on each proof, the
// chains of previousProof, and checkSet on them all.
func (p *Processor) parseProofSet(unsecured map[string]any, proofs []any, keys KeyResolver, check func(ProofInfo) error, checkSet func([]ProofInfo) error) ([]parsedProof, []ProofInfo, error) {
	if len(proofs) == 0 {
		return nil, nil, ErrNoProof
	}
	if len(proofs) > maxProofs {
		return nil, nil, fmt.Errorf("vcld: %d proofs, at most %d: %w", len(proofs), maxProofs, ErrTooComplex)
	}
	if keys == nil {
		return nil, nil, fmt.Errorf("vcld: verify: no key resolver: %w", ErrKeyNotFound)
	}
	ps := make([]parsedProof, 0, len(proofs))
	infos := make([]ProofInfo, 0, len(proofs))
	for _, v := range proofs {
		proof, info, sig, err := parseProof(v)
		if err != nil {
			return nil, nil, err
		}
		if proof["@context"] != nil {
			if err := checkProofContext(unsecured["@context"], proof["@context"]); err != nil {
				return nil, nil, err
			}
		}
		if !info.Expires.IsZero() && p.now().After(info.Expires) {
			return nil, nil, fmt.Errorf("vcld: proof expired at %s: %w", info.Expires.Format(time.RFC3339), ErrProofMismatch)
		}
		if err := check(info); err != nil {
			return nil, nil, err
		}
		ps = append(ps, parsedProof{proof, info, sig})
		infos = append(infos, info)
	}
	if err := checkChains(ps); err != nil {
		return nil, nil, err
	}
	if checkSet != nil {
		if err := checkSet(infos); err != nil {
			return nil, nil, err
		}
	}
	return ps, infos, nil
}

// resolveKeys resolves the key of every proof, in order.
func resolveKeys(ctx context.Context, keys KeyResolver, ps []parsedProof) ([]ed25519.PublicKey, error) {
	out := make([]ed25519.PublicKey, len(ps))
	for i, pp := range ps {
		var err error
		if out[i], err = resolveKey(ctx, keys, pp.info.VerificationMethod); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkSignatures canonicalises what each proof signs (once per distinct
// set of previous proofs) and checks its signature; resolved holds the
// keys when they are resolved already (nil: resolved here).
func (p *Processor) checkSignatures(ctx context.Context, unsecured map[string]any, ps []parsedProof, resolved []ed25519.PublicKey, keys KeyResolver, work *proofWork) error {
	// The document hash of each distinct set of previous proofs, the
	// empty set (a proof set's members) included.
	hashes := map[string][32]byte{}
	for i, pp := range ps {
		key := strings.Join(pp.info.PreviousProof, "\x00")
		docHash, ok := hashes[key]
		if !ok {
			var err error
			if len(pp.info.PreviousProof) == 0 && work != nil {
				docHash, err = p.unsecuredHash(ctx, unsecured, work)
			} else {
				docHash, err = p.canonicalHash(ctx, withPrevious(unsecured, ps, pp.info.PreviousProof))
			}
			if err != nil {
				return err
			}
			hashes[key] = docHash
		}
		var edPub ed25519.PublicKey
		if resolved != nil {
			edPub = resolved[i]
		} else {
			var err error
			if edPub, err = resolveKey(ctx, keys, pp.info.VerificationMethod); err != nil {
				return err
			}
		}
		data, err := p.hashDataWith(ctx, unsecured, pp.proof, docHash)
		if err != nil {
			return err
		}
		if !edsig.Verify(edPub, data, pp.sig) {
			return fmt.Errorf("vcld: %s proof by %s: %w", pp.info.Suite, pp.info.VerificationMethod, ErrSignatureInvalid)
		}
	}
	return nil
}

// resolveKey returns the Ed25519 key of a verification method.
func resolveKey(ctx context.Context, keys KeyResolver, vm string) (ed25519.PublicKey, error) {
	pub, err := keys(ctx, vm)
	if err != nil {
		return nil, fmt.Errorf("vcld: resolve %q: %w: %w", vm, ErrKeyNotFound, err)
	}
	edPub, ok := pub.(ed25519.PublicKey)
	if !ok {
		if pk, ok2 := pub.(*ed25519.PublicKey); ok2 && pk != nil {
			edPub, ok = *pk, true
		}
	}
	if !ok || len(edPub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("vcld: key of %q is %T, need Ed25519: %w", vm, pub, ErrUnsupportedSuite)
	}
	return edPub, nil
}

// checkChains refuses proof ids that repeat, previousProof references to
// no proof of the document, and cycles of references.
func checkChains(ps []parsedProof) error {
	byID := make(map[string]int, len(ps))
	for i, pp := range ps {
		if pp.info.ID == "" {
			continue
		}
		if _, dup := byID[pp.info.ID]; dup {
			return fmt.Errorf("vcld: two proofs have the id %q: %w", pp.info.ID, ErrProofChain)
		}
		byID[pp.info.ID] = i
	}
	for _, pp := range ps {
		for _, ref := range pp.info.PreviousProof {
			if _, ok := byID[ref]; !ok {
				return fmt.Errorf("vcld: previousProof %q names no proof of the document: %w", ref, ErrProofChain)
			}
		}
	}
	// Depth-first search for a cycle: 0 unvisited, 1 on the path, 2 done.
	state := make([]uint8, len(ps))
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case 1:
			return fmt.Errorf("vcld: previousProof references form a cycle through %q: %w", ps[i].info.ID, ErrProofChain)
		case 2:
			return nil
		}
		state[i] = 1
		for _, ref := range ps[i].info.PreviousProof {
			if err := visit(byID[ref]); err != nil {
				return err
			}
		}
		state[i] = 2
		return nil
	}
	for i := range ps {
		if err := visit(i); err != nil {
			return err
		}
	}
	return nil
}

// withPrevious returns unsecured with the proofs named by ids attached as
// its proof member, or unsecured itself when ids is empty.
func withPrevious(unsecured map[string]any, ps []parsedProof, ids []string) map[string]any {
	if len(ids) == 0 {
		return unsecured
	}
	prev := make([]any, 0, len(ids))
	for _, id := range ids {
		for _, pp := range ps {
			if pp.info.ID == id {
				prev = append(prev, pp.proof)
				break
			}
		}
	}
	out := make(map[string]any, len(unsecured)+1)
	for k, v := range unsecured {
		out[k] = v
	}
	if len(prev) == 1 {
		out["proof"] = prev[0]
	} else {
		out["proof"] = prev
	}
	return out
}

// checkProofContext: a proof's own @context must be a prefix of the
// document's (Data Integrity: the document's contexts start with the
// proof's, in the same order).
func checkProofContext(docCtx, proofCtx any) error {
	d, pc := asSlice(docCtx), asSlice(proofCtx)
	if len(pc) > len(d) {
		return fmt.Errorf("vcld: proof @context is not a prefix of the document's: %w", ErrProofMismatch)
	}
	for i := range pc {
		a, _ := jsonCanon(pc[i])
		b, _ := jsonCanon(d[i])
		if !bytes.Equal(a, b) {
			return fmt.Errorf("vcld: proof @context is not a prefix of the document's: %w", ErrProofMismatch)
		}
	}
	return nil
}

// controllerOf returns the DID of a DID URL (the part before '#' or '?').
func controllerOf(vm string) string {
	if i := strings.IndexAny(vm, "#?"); i >= 0 {
		return vm[:i]
	}
	return vm
}

func asSlice(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return t
	default:
		return []any{t}
	}
}
