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
	}
	return CodeMalformed
}

// diKeys returns a vcld.KeyResolver that resolves only keys of owner
// listed for purpose, through the key cache. The entry found is kept in
// *found for the trust query.
func (v *Verifier) diKeys(owner string, purpose did.Purpose, found **keyEntry) vcld.KeyResolver {
	return func(ctx context.Context, vm string) (crypto.PublicKey, error) {
		if owner != "" && !keyBelongsTo(vm, owner) {
			return nil, fmt.Errorf("%w: %q is not a key of %q", errKeyNotFound, truncate(vm), truncate(owner))
		}
		e, err := v.keys.get(ctx, vm, purpose, v.now())
		if err != nil {
			return nil, err
		}
		*found = e
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
	var e *keyEntry
	res := c.preverifiedResult()
	if res != nil {
		var code Code
		var err error
		if e, code, err = v.preverifiedKey(ctx, res, c.pre.keys); err != nil {
			return "", code, err
		}
	} else {
		var err error
		res, err = vcld.VerifyCredential(ctx, c.document, v.diKeys(c.issuer, did.AssertionMethod, &e))
		if err != nil {
			return "", diError(err), fmt.Errorf("data integrity proof: %w", err)
		}
	}
	if e == nil {
		return "", CodeKeyNotFound, errors.New("data integrity proof: no key resolved")
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
		c.issuedAt = res.Proofs[0].Created
	}
	c.claims, c.subject = nil, ""
	if len(res.Subject) > 0 {
		c.claims = make(map[string]any, len(res.Subject[0]))
		for k, val := range res.Subject[0] {
			if k == "id" {
				c.subject, _ = val.(string)
				continue
			}
			c.claims[k] = val
		}
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

// preverifiedKey checks the keys of the proofs of a credential verified
// with its presentation: each is a key of the issuer listed under
// assertionMethod (the presentation's key resolver accepted any purpose),
// and the very key the proof was verified with.
func (v *Verifier) preverifiedKey(ctx context.Context, res *vcld.Result, used map[string]string) (*keyEntry, Code, error) {
	var first *keyEntry
	for _, pi := range res.Proofs {
		vm := pi.VerificationMethod
		if !keyBelongsTo(vm, res.Issuer) {
			return nil, CodeKeyNotFound, fmt.Errorf("data integrity proof: %w: %q is not a key of %q", errKeyNotFound, truncate(vm), truncate(res.Issuer))
		}
		e, err := v.keys.get(ctx, vm, did.AssertionMethod, v.now())
		if err != nil {
			return nil, CodeKeyNotFound, fmt.Errorf("data integrity proof: %w", err)
		}
		if thumb, ok := used[vm]; !ok || thumb != e.thumb {
			return nil, CodeKeyNotFound, fmt.Errorf("data integrity proof: %w: %q changed during the verification", errKeyNotFound, truncate(vm))
		}
		if first == nil {
			first = e
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
	res, err := vcld.VerifyPresentation(ctx, pr.document, resolve, vcld.PresentationOptions{Challenge: o.Challenge, Domain: o.Domain})
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
		var item struct {
			Type any `json:"type"`
		}
		if err := json.Unmarshal(raw, &item); err != nil {
			return nil
		}
		if hasEnvelopedType(item.Type) {
			enveloped++
			continue
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
