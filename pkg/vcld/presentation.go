package vcld

import (
	"context"
	"fmt"
	"slices"
)

// PresentationOptions are the verifier's expectations of a presentation
// proof. Set Challenge (and Domain when used): a presentation made for
// another challenge or domain is refused with ErrChallenge. An empty
// expectation is not checked, so it gives no replay protection.
type PresentationOptions struct {
	Challenge string
	Domain    string
}

// PresentationResult is what a verified presentation says.
type PresentationResult struct {
	ID      string
	Version int
	// Holder is the holder id; empty when the presentation names none.
	Holder string
	Types  []string
	// Proof is the first (verified) presentation proof; Proofs all of them.
	Proof  ProofInfo
	Proofs []ProofInfo
	// Credentials are the embedded Data Integrity credentials, each
	// verified, in order.
	Credentials []*Result
	// Enveloped are the ids (data: URLs) of embedded
	// EnvelopedVerifiableCredential objects (VC-JOSE/COSE). They are covered
	// by the presentation proof but not verified here: that is the job of
	// the caller's JOSE path.
	Enveloped []string
}

func presentationShape(doc map[string]any) (version int, holder string, err error) {
	version, err = modelVersion(doc)
	if err != nil {
		return 0, "", err
	}
	if !slices.Contains(stringsOf(doc["type"]), "VerifiablePresentation") {
		return 0, "", fmt.Errorf("vcld: type does not include VerifiablePresentation: %w", ErrMalformed)
	}
	switch h := doc["holder"].(type) {
	case nil:
	case string:
		holder = h
	case map[string]any:
		holder, _ = h["id"].(string)
	default:
		return 0, "", fmt.Errorf("vcld: holder is %T: %w", h, ErrMalformed)
	}
	return version, holder, nil
}

// presentationView is the form of a presentation that is canonicalised.
// VC 2.0 declares verifiableCredential with "@container": "@graph" and
// "@context": null, and json-gold (all versions to v0.9.1) loses the
// container for such a term (see graphContainerLost). There each embedded
// credential is given as an explicit graph object, which yields the dataset
// jsonld.js produces (proven against @digitalbazaar/vc presentations in the
// tests, VC 1.1 and 2.0). Under VC 1.1 the container works and the view is
// the document itself.
func (p *Processor) presentationView(doc map[string]any) map[string]any {
	vcs, ok := doc["verifiableCredential"]
	if !ok {
		return doc
	}
	pc, err := p.activeContext(doc["@context"])
	if err != nil || !pc.wrapEmbeddedCredentials {
		return doc
	}
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		out[k] = v
	}
	items := asSlice(vcs)
	wrapped := make([]any, len(items))
	for i, it := range items {
		if m, isMap := it.(map[string]any); isMap && !isGraphObject(m) {
			if cv, has := m["@context"]; has && pc.embeddedOnEmpty {
				if epc, err := p.activeContext(cv); err == nil {
					c := make(map[string]any, len(m))
					for k, v := range m {
						c[k] = v
					}
					c["@context"] = embeddedContext{epc}
					m = c
				}
			}
			wrapped[i] = map[string]any{"@graph": m}
		} else {
			wrapped[i] = it
		}
	}
	out["verifiableCredential"] = wrapped
	return out
}

func isGraphObject(m map[string]any) bool {
	if _, ok := m["@graph"]; !ok {
		return false
	}
	for k := range m {
		switch k {
		case "@graph", "@id", "@index", "@context":
		default:
			return false
		}
	}
	return true
}

// SignPresentation adds a Data Integrity proof (purpose authentication,
// with o.Challenge and o.Domain) to an unsigned presentation. The
// verification method must belong to the holder when one is named.
// Embedded credentials are signed over as they are; they are not verified
// here.
func (p *Processor) SignPresentation(ctx context.Context, doc []byte, o SignOptions) ([]byte, error) {
	return p.signDocument(ctx, doc, o, "presentation", func(m map[string]any) (string, error) {
		_, holder, err := presentationShape(m)
		if err == nil && holder != "" && controllerOf(o.VerificationMethod) != holder {
			err = fmt.Errorf("vcld: sign: verification method %q is not the holder's (%s): %w", o.VerificationMethod, holder, ErrProofMismatch)
		}
		return PurposeAuthentication, err
	}, p.presentationView)
}

// VerifyPresentation verifies a presentation's Data Integrity proofs
// (purpose authentication, challenge and domain as expected, verification
// method of the holder when one is named) and every embedded credential
// (as VerifyCredential does). Enveloped credentials are listed in
// PresentationResult.Enveloped for the caller to verify; embedded values
// that are not objects are refused with ErrUnsupportedSuite.
func (p *Processor) VerifyPresentation(ctx context.Context, doc []byte, keys KeyResolver, o PresentationOptions) (*PresentationResult, error) {
	ctx, cancel := context.WithTimeout(ctx, p.limits.Timeout)
	defer cancel()
	m, err := p.decode(doc)
	if err != nil {
		return nil, err
	}
	if err := checkInlineContexts(m); err != nil {
		return nil, err
	}
	version, holder, err := presentationShape(m)
	if err != nil {
		return nil, err
	}
	unsecured := make(map[string]any, len(m))
	for k, v := range m {
		if k != "proof" {
			unsecured[k] = v
		}
	}
	reuse := &proofWork{capture: true}
	infos, err := p.verifyProofs(ctx, p.presentationView(unsecured), asSlice(m["proof"]), keys, func(pi ProofInfo) error {
		if pi.ProofPurpose != PurposeAuthentication {
			return fmt.Errorf("vcld: presentation proof purpose %q, want authentication: %w", pi.ProofPurpose, ErrProofMismatch)
		}
		if holder != "" && controllerOf(pi.VerificationMethod) != holder {
			return fmt.Errorf("vcld: verification method %q is not controlled by the holder %s: %w", pi.VerificationMethod, holder, ErrProofMismatch)
		}
		if o.Challenge != "" && pi.Challenge != o.Challenge {
			return fmt.Errorf("vcld: presentation challenge %q: %w", pi.Challenge, ErrChallenge)
		}
		if o.Domain != "" && pi.Domain != o.Domain {
			return fmt.Errorf("vcld: presentation domain %q: %w", pi.Domain, ErrChallenge)
		}
		return nil
	}, nil, reuse)
	if err != nil {
		return nil, err
	}
	// The embedded credentials' expanded nodes, from the presentation's
	// expanded form (nil when the presentation's proofs were all chained,
	// or where a credential must be expanded on its own).
	var embedded []map[string]any
	if reuse.captured != nil {
		embedded = p.embeddedNodes(unsecured, reuse.captured)
	}
	r := &PresentationResult{Version: version, Holder: holder, Types: stringsOf(m["type"]), Proof: infos[0], Proofs: infos}
	r.ID, _ = m["id"].(string)
	for i, it := range asSlice(m["verifiableCredential"]) {
		cm, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("vcld: verifiableCredential[%d] is %T, not an embedded credential: %w", i, it, ErrUnsupportedSuite)
		}
		if slices.Contains(stringsOf(cm["type"]), "EnvelopedVerifiableCredential") {
			id, _ := cm["id"].(string)
			if id == "" {
				return nil, fmt.Errorf("vcld: verifiableCredential[%d]: enveloped credential without id: %w", i, ErrMalformed)
			}
			r.Enveloped = append(r.Enveloped, id)
			continue
		}
		if _, has := cm["@context"]; !has {
			cm = withContext(cm, m["@context"])
		}
		var node map[string]any
		if i < len(embedded) {
			node = embedded[i]
		}
		cr, err := p.verifyCredentialMap(ctx, cm, keys, node)
		if err != nil {
			return nil, fmt.Errorf("vcld: verifiableCredential[%d]: %w", i, err)
		}
		r.Credentials = append(r.Credentials, cr)
	}
	return r, nil
}

func withContext(m map[string]any, ctx any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out["@context"] = ctx
	return out
}

// SignPresentation signs with the Default processor.
func SignPresentation(ctx context.Context, doc []byte, o SignOptions) ([]byte, error) {
	return Default().SignPresentation(ctx, doc, o)
}

// VerifyPresentation verifies with the Default processor.
func VerifyPresentation(ctx context.Context, doc []byte, keys KeyResolver, o PresentationOptions) (*PresentationResult, error) {
	return Default().VerifyPresentation(ctx, doc, keys, o)
}
