package verifier

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcld"
)

// diError maps pkg/vcld failures to stable codes.
func diError(err error) Code {
	switch {
	case errors.Is(err, vcld.ErrSignatureInvalid), errors.Is(err, vcld.ErrProofMismatch):
		return CodeSignatureInvalid
	case errors.Is(err, vcld.ErrKeyNotFound):
		return CodeKeyNotFound
	case errors.Is(err, vcld.ErrUnsupportedSuite):
		return CodeUnsupportedFormat
	case errors.Is(err, vcld.ErrChallenge):
		return CodeChallengeInvalid
	case errors.Is(err, vcld.ErrProofChain):
		return CodeProofChainInvalid
	}
	return CodeMalformed
}

// credentialError maps a failure of vcld.VerifyCredential on doc: as
// diError, and proof_missing when the credential has no assertionMethod
// proof by its issuer (only others'), which vcld reports as a mismatch.
func credentialError(err error, doc []byte, issuer string) Code {
	if errors.Is(err, vcld.ErrProofMismatch) && !hasIssuerProof(doc, issuer) {
		return CodeProofMissing
	}
	return diError(err)
}

// hasIssuerProof reports whether doc has a proof for assertionMethod by a
// verification method of issuer (read on the failure path only).
func hasIssuerProof(doc []byte, issuer string) bool {
	var d struct {
		Proof json.RawMessage `json:"proof"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return false
	}
	type proof struct {
		VerificationMethod string `json:"verificationMethod"`
		ProofPurpose       string `json:"proofPurpose"`
	}
	var ps []proof
	if json.Unmarshal(d.Proof, &ps) != nil {
		var one proof
		if json.Unmarshal(d.Proof, &one) != nil {
			return false
		}
		ps = []proof{one}
	}
	return slices.ContainsFunc(ps, func(p proof) bool {
		return p.ProofPurpose == vcld.PurposeAssertionMethod && keyBelongsTo(p.VerificationMethod, issuer)
	})
}

// recordingKeys returns a vcld.KeyResolver that resolves the key of any
// verification method listed for any purpose, through the key cache, and
// records the thumbprint of each key used in used. The purposes (and whose
// keys) are checked after the verification, per proof (checkProofKeys).
func (v *Verifier) recordingKeys(used map[string]string, mu *sync.Mutex) vcld.KeyResolver {
	return func(ctx context.Context, vm string) (crypto.PublicKey, error) {
		e, err := v.keys.get(ctx, vm, did.AnyPurpose, v.now())
		if err != nil {
			return nil, err
		}
		mu.Lock()
		used[vm] = e.thumb
		mu.Unlock()
		return e.pub, nil
	}
}

// preverified is an embedded credential whose Data Integrity proofs the
// presentation's verification (vcld.VerifyPresentation) already checked.
type preverified struct {
	res *vcld.Result
	// keys are the thumbprints of the keys that verification used, by
	// verification method.
	keys map[string]string
}

// checkDataIntegrity verifies the embedded proof of a JSON-LD credential
// (eddsa-rdfc-2022, Ed25519Signature2020) through pkg/vcld and fills c from
// the verified document. A credential of a Data Integrity presentation
// (c.pre) is not verified twice: its proofs were checked with the
// presentation, and only the key checks the presentation's key resolver
// could not make are made here.
func (v *Verifier) checkDataIntegrity(ctx context.Context, c *credential, p *Policy) (string, Code, error) {
	res := c.preverifiedResult()
	used := map[string]string{}
	if res != nil {
		used = c.pre.keys
	} else {
		var (
			mu  sync.Mutex
			err error
		)
		res, err = v.ld.VerifyCredential(ctx, c.document, v.recordingKeys(used, &mu))
		if err != nil {
			return "", credentialError(err, c.document, c.issuer), fmt.Errorf("data integrity proof: %w", err)
		}
	}
	e, code, err := v.checkProofKeys(ctx, res, used, p)
	if err != nil {
		return "", code, err
	}
	c.issuer, c.types = res.Issuer, res.Types
	if res.ValidFrom != nil {
		c.validFrom = *res.ValidFrom
	}
	if res.ValidUntil != nil {
		c.validUntil = *res.ValidUntil
	}
	switch {
	case res.Version == 1 && res.ValidFrom != nil:
		c.issuedAt = *res.ValidFrom
	case len(res.Proofs) > 0:
		c.issuedAt = res.IssuerProof().Created
	}
	if err := c.readSubject(res.Subject); err != nil {
		return "", CodeAmbiguousSubject, err
	}
	c.status = nil
	if len(res.Status) > 0 {
		var err error
		if c.status, err = statusRefs(res.Status); err != nil {
			return "", CodeMalformed, err
		}
	}
	return e.thumb, "", nil
}

// preverifiedResult returns the presentation's verification result of c,
// or nil when c must be verified on its own: no such result, or one that
// is not about the document c was parsed from (another issuer).
func (c *credential) preverifiedResult() *vcld.Result {
	if c.pre == nil || c.pre.res == nil || c.pre.res.Issuer != c.issuer || len(c.pre.res.Proofs) == 0 {
		return nil
	}
	return c.pre.res
}

// checkProofKeys checks the key of every verified proof of a credential
// (res, whose keys were resolved for any purpose, their thumbprints in
// used) and the policy on who signed. The issuer's proofs (purpose
// assertionMethod, a key of the issuer) need a key listed under
// assertionMethod; a proof by another DID (a witness or endorser) a key of
// that DID listed for the proof's purpose. Each must be the very key the
// proof was verified with. Every DID of Policy.RequiredProofsBy must have a
// proof. It returns the key of the issuer's proof, for the trust query.
func (v *Verifier) checkProofKeys(ctx context.Context, res *vcld.Result, used map[string]string, p *Policy) (*keyEntry, Code, error) {
	var first *keyEntry
	for _, pi := range res.Proofs {
		vm, owner := pi.VerificationMethod, pi.Controller()
		purpose := did.Purpose(pi.ProofPurpose)
		if purpose != did.AssertionMethod && purpose != did.Authentication {
			return nil, CodeKeyNotFound, fmt.Errorf("data integrity proof: %w: proof purpose %q of %q is not supported", errKeyNotFound, truncate(pi.ProofPurpose), truncate(vm))
		}
		if !keyBelongsTo(vm, owner) {
			return nil, CodeKeyNotFound, fmt.Errorf("data integrity proof: %w: %q is not a key of %q", errKeyNotFound, truncate(vm), truncate(owner))
		}
		e, err := v.keys.get(ctx, vm, purpose, v.now())
		if err != nil {
			return nil, CodeKeyNotFound, fmt.Errorf("data integrity proof: %w", err)
		}
		if thumb, ok := used[vm]; !ok || thumb != e.thumb {
			return nil, CodeKeyNotFound, fmt.Errorf("data integrity proof: %w: %q changed during the verification", errKeyNotFound, truncate(vm))
		}
		if first == nil && owner == res.Issuer && purpose == did.AssertionMethod {
			first = e
		}
	}
	if first == nil {
		return nil, CodeProofMissing, fmt.Errorf("data integrity proof: no assertionMethod proof by the issuer %s", truncate(res.Issuer))
	}
	for _, want := range p.RequiredProofsBy {
		if !slices.ContainsFunc(res.Proofs, func(pi vcld.ProofInfo) bool { return pi.Controller() == want }) {
			return nil, CodeProofMissing, fmt.Errorf("data integrity proof: the policy requires a proof by %s, and the credential has none", truncate(want))
		}
	}
	return first, "", nil
}

// parseDIPresentation reads a JSON-LD presentation with an embedded proof.
func parseDIPresentation(raw []byte) (*presentation, error) {
	p, err := vc.ParsePresentation(raw)
	if err != nil {
		return nil, perr(CodeMalformed, "presentation: %v", err)
	}
	if len(p.Proof) == 0 {
		return nil, perr(CodeMalformed, "presentation has no proof")
	}
	pr := &presentation{format: vc.FormatDI, holder: p.Holder, document: raw}
	if len(p.Credentials) > maxPresentedCredentials {
		return nil, perr(CodeMalformed, "%d credentials in one presentation, at most %d", len(p.Credentials), maxPresentedCredentials)
	}
	for _, c := range p.Credentials {
		pr.credentials = append(pr.credentials, []byte(c))
	}
	return pr, nil
}

// checkDIPresentation verifies the presentation proof, and with it the
// proofs of the embedded Data Integrity credentials, and reads its
// challenge and domain. The credentials' results are kept in pr.pre so that
// each credential proof is verified once.
func (v *Verifier) checkDIPresentation(ctx context.Context, pr *presentation, o PresentationOptions) (Code, error) {
	// vcld resolves the keys of the embedded credentials with the same
	// resolver and checks that each proof's key is controlled by its issuer
	// or holder, for the right proof purpose; the resolver accepts a key
	// listed for any purpose, so the relationships are checked below
	// (authentication) and per credential (assertionMethod).
	var (
		mu   sync.Mutex
		used = map[string]string{}
	)
	resolve := func(ctx context.Context, vm string) (crypto.PublicKey, error) {
		e, err := v.keys.get(ctx, vm, did.AnyPurpose, v.now())
		if err != nil {
			return nil, err
		}
		mu.Lock()
		used[vm] = e.thumb
		mu.Unlock()
		return e.pub, nil
	}
	res, err := v.ld.VerifyPresentation(ctx, pr.document, resolve, vcld.PresentationOptions{Challenge: o.Challenge, Domain: o.Domain})
	if err != nil {
		return diError(err), fmt.Errorf("presentation proof: %w", err)
	}
	if len(res.Proofs) == 0 {
		return CodeKeyNotFound, errors.New("presentation proof: no key resolved")
	}
	for _, pi := range res.Proofs {
		e, err := v.keys.get(ctx, pi.VerificationMethod, did.Authentication, v.now())
		if err != nil {
			return CodeKeyNotFound, fmt.Errorf("presentation proof: %w", err)
		}
		if used[pi.VerificationMethod] != e.thumb {
			return CodeKeyNotFound, fmt.Errorf("presentation proof: %w: %q changed during the verification", errKeyNotFound, truncate(pi.VerificationMethod))
		}
	}
	if pr.holder == "" {
		// No holder member: the presenter is the DID of the proof key.
		pr.holder, _, _ = strings.Cut(res.Proof.VerificationMethod, "#")
	}
	pr.nonce = res.Proof.Challenge
	if res.Proof.Domain != "" {
		pr.audience = []string{res.Proof.Domain}
	}
	pr.pre = alignPreverified(pr.credentials, res, used)
	return "", nil
}

// alignPreverified pairs the embedded credentials with vcld's results: an
// item is an enveloped credential exactly when vcld says so (type
// EnvelopedVerifiableCredential), and every other item has the next
// result. Nil (verify each credential on its own) when they do not pair up.
func alignPreverified(creds [][]byte, res *vcld.PresentationResult, used map[string]string) []*preverified {
	out := make([]*preverified, len(creds))
	next, enveloped := 0, 0
	for i, raw := range creds {
		// Only an item that mentions the type can have it (read in full
		// then); one that escapes it in its JSON is counted as a
		// credential, and the counts below refuse the alignment. The
		// member is read by its exact name, as vcld does (a struct field
		// would also take "Type" or "TYPE", so that one item could count
		// as enveloped here and as a credential there).
		if vc.IsEnveloped(raw) {
			var item map[string]any
			if err := json.Unmarshal(raw, &item); err != nil {
				return nil
			}
			if hasEnvelopedType(item["type"]) {
				enveloped++
				continue
			}
		}
		if next >= len(res.Credentials) {
			return nil
		}
		out[i] = &preverified{res: res.Credentials[next], keys: used}
		next++
	}
	if next != len(res.Credentials) || enveloped != len(res.Enveloped) {
		return nil
	}
	return out
}

// hasEnvelopedType reports whether a decoded type member names
// EnvelopedVerifiableCredential.
func hasEnvelopedType(t any) bool { return hasType(t, vc.TypeEnveloped) }

func hasType(t any, want ...string) bool {
	switch x := t.(type) {
	case string:
		return slices.Contains(want, x)
	case []any:
		for _, e := range x {
			if s, _ := e.(string); slices.Contains(want, s) {
				return true
			}
		}
	}
	return false
}

// isEnveloped reports whether the JSON object raw is an enveloped
// credential or presentation by its own type, not merely mentioning one
// (a Data Integrity presentation that embeds an enveloped credential).
func isEnveloped(raw []byte) bool {
	if !vc.IsEnveloped(raw) {
		return false
	}
	var doc struct {
		Type any `json:"type"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return true // ParseEnveloped reports the error
	}
	return hasType(doc.Type, vc.TypeEnveloped, vc.TypeEnvelopedPresentation)
}
