package vcld

import (
	"context"
	"fmt"
	"slices"
)

// AddProof adds a Data Integrity proof to a credential that may already
// carry proofs, and returns the credential with every proof in an array:
// a proof of a proof set when o.PreviousProof is empty (over the credential
// without its proofs), a link of a proof chain otherwise (over the
// credential with exactly the proofs o.PreviousProof names attached). Give
// the proofs that later proofs will chain to an id (o.ID, and
// SignOptions.ID of SignCredential for the first one).
//
// Unlike SignCredential, the verification method need not be the issuer's:
// a witness or endorser adds its proof with its own key. The default
// purpose is assertionMethod. The existing proofs are kept as they are and
// not verified here; a previousProof naming none of them, or an id that
// one of them already has, is ErrProofChain. Proof ids and chains are made
// with eddsa-rdfc-2022 only.
func (p *Processor) AddProof(ctx context.Context, doc []byte, o SignOptions) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.limits.Timeout)
	defer cancel()
	m, err := p.decode(doc)
	if err != nil {
		return nil, err
	}
	if _, _, err := credentialShape(m); err != nil {
		return nil, err
	}
	existing := asSlice(m["proof"])
	if len(existing)+1 > maxProofs {
		return nil, fmt.Errorf("vcld: add proof: %d proofs already, at most %d: %w", len(existing), maxProofs, ErrTooComplex)
	}
	ps := make([]parsedProof, 0, len(existing))
	for _, v := range existing {
		proof, info, sig, err := parseProof(v)
		if err != nil {
			return nil, fmt.Errorf("vcld: add proof: existing proof: %w", err)
		}
		ps = append(ps, parsedProof{proof, info, sig})
	}
	for _, pp := range ps {
		if o.ID != "" && pp.info.ID == o.ID {
			return nil, fmt.Errorf("vcld: add proof: a proof with id %q exists: %w", o.ID, ErrProofChain)
		}
	}
	for _, ref := range o.PreviousProof {
		if !slices.ContainsFunc(ps, func(pp parsedProof) bool { return pp.info.ID == ref }) {
			return nil, fmt.Errorf("vcld: add proof: previousProof %q names no proof of the credential: %w", ref, ErrProofChain)
		}
	}
	unsecured := make(map[string]any, len(m))
	for k, v := range m {
		if k != "proof" {
			unsecured[k] = v
		}
	}
	before := unsecured["@context"]
	proof, err := p.sign(ctx, unsecured, o, PurposeAssertionMethod, func(d map[string]any) map[string]any {
		return withPrevious(d, ps, o.PreviousProof)
	})
	if err != nil {
		return nil, err
	}
	var set []member
	if !sameJSON(before, unsecured["@context"]) {
		if len(existing) > 0 {
			return nil, fmt.Errorf("vcld: add proof: the %s context is missing, and adding it would break the existing proofs: %w", o.Suite, ErrProofMismatch)
		}
		b, err := marshal(unsecured["@context"])
		if err != nil {
			return nil, fmt.Errorf("vcld: encode @context: %w", err)
		}
		set = append(set, member{"@context", b})
	}
	pb, err := marshal(append(slices.Clone(existing), proof))
	if err != nil {
		return nil, fmt.Errorf("vcld: encode proof: %w", err)
	}
	set = append(set, member{"proof", pb})
	return withMembers(doc, set)
}

// AddProof adds a proof with the Default processor.
func AddProof(ctx context.Context, doc []byte, o SignOptions) ([]byte, error) {
	return Default().AddProof(ctx, doc, o)
}
