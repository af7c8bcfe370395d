package verifier

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/idport/idport/pkg/dnstxt"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/oa"
	"github.com/idport/idport/pkg/vc"
)

// FormatOpenAttestation is the Result.Format of an OpenAttestation v2
// document (VerifyDocument).
const FormatOpenAttestation vc.Format = "openattestation_v2"

// DocumentTypeDefault is the type a document without a $template name is
// recognised for; a document with one is recognised for its template name
// (INVOICE, ...).
const DocumentTypeDefault = "OpenAttestationDocument"

// Checks of documents, besides format, signature, recognition, assurance,
// disclosures and policy.
const (
	// CheckIntegrity: the target hash of the data and the Merkle proof.
	CheckIntegrity = "integrity"
	// CheckIdentity: the issuer's identity proof (DNS-DID).
	CheckIdentity = "identity"
)

// DocumentInfo reports the facts of a verified (or refused) document.
type DocumentInfo struct {
	// TargetHash and MerkleRoot are the document's hashes (hex).
	TargetHash string `json:"targetHash,omitempty"`
	MerkleRoot string `json:"merkleRoot,omitempty"`
	// Template is data.$template.name.
	Template string `json:"template,omitempty"`
	// IssuerName is the issuer's name in the document.
	IssuerName string `json:"issuerName,omitempty"`
	// Domain is the issuer's DNS domain (identityProof.location).
	Domain string `json:"domain,omitempty"`
	// Key is the DID URL of the signing key.
	Key string `json:"key,omitempty"`
	// DNSSEC is true when the resolver reported the DNS answer validated
	// (AD bit).
	DNSSEC bool `json:"dnssec"`
	// ObfuscatedFields counts the fields hidden by the holder; their
	// names are hidden too, only their hashes are known.
	ObfuscatedFields int `json:"obfuscatedFields"`
	// Obfuscated lists the hashes of the hidden fields.
	Obfuscated []string `json:"obfuscated,omitempty"`
}

// DocumentOptions are per-request options of VerifyDocumentWith.
type DocumentOptions struct {
	// Policy replaces the verifier's policy for this request when set.
	Policy *Policy
}

type documentVerifier struct {
	dns    dnstxt.Resolver
	limits oa.Limits
	once   sync.Once
	err    error
}

// resolver returns the configured DNS resolver, or the system's behind a
// cache (made once, on first use).
func (d *documentVerifier) resolver() (dnstxt.Resolver, error) {
	d.once.Do(func() {
		if d.dns != nil {
			return
		}
		c, err := dnstxt.System(dnstxt.Limits{})
		if err != nil {
			d.err = err
			return
		}
		d.dns = &dnstxt.Cache{Resolver: c}
	})
	return d.dns, d.err
}

// VerifyDocument verifies an OpenAttestation v2 document (a wrapped JSON
// document): integrity (target hash and Merkle proof; obfuscated fields
// are accepted and counted), the DID signature (a default did:ethr key,
// recovered from the secp256k1 signature of the Merkle root), the DNS-DID
// identity proof (a TXT record of the issuer's domain names the key), and
// recognition by the trust registry with the domain as the issuer and the
// template name as the type. The Result has the shape of a credential's:
// checks in order, codes, grounds, and the visible fields as claims by
// dotted path under local names. Documents anchored on a blockchain are
// refused with blockchain_anchor_unsupported. A nil error with Verified
// false is a refusal; an error means the verification could not be
// carried out (ctx done).
func (v *Verifier) VerifyDocument(ctx context.Context, raw []byte) (*Result, error) {
	return v.verifyDocument(ctx, raw, &v.policy)
}

// VerifyDocumentWith is VerifyDocument with per-request options.
func (v *Verifier) VerifyDocumentWith(ctx context.Context, raw []byte, o DocumentOptions) (*Result, error) {
	p := &v.policy
	if o.Policy != nil {
		p = o.Policy
	}
	return v.verifyDocument(ctx, raw, p)
}

func (v *Verifier) verifyDocument(ctx context.Context, raw []byte, p *Policy) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	r := newResult()
	r.Format = FormatOpenAttestation
	doc, issuer, code, err := parseDocument(raw, v.documents.limits)
	if err != nil {
		r.fail(CheckFormat, code, err.Error())
		return r, nil
	}
	r.pass(CheckFormat)
	info := &DocumentInfo{TargetHash: doc.Signature.TargetHash, MerkleRoot: doc.Signature.MerkleRoot, Template: doc.Template(),
		IssuerName: issuer.Name, Domain: oa.NormaliseDomain(issuer.Location), Key: issuer.Key,
		ObfuscatedFields: len(doc.Obfuscated), Obfuscated: doc.Obfuscated}
	r.Document = info
	v.checkDocument(ctx, doc, issuer, r, p)
	v.debug(ctx, "document", r)
	return r, nil
}

// parseDocument parses raw and picks its one issuer, refusing what this
// verifier does not verify.
func parseDocument(raw []byte, lim oa.Limits) (*oa.Document, oa.Issuer, Code, error) {
	doc, err := oa.Parse(raw, lim)
	if err != nil {
		return nil, oa.Issuer{}, CodeMalformed, err
	}
	issuers, err := doc.Issuers()
	if err != nil {
		return nil, oa.Issuer{}, CodeMalformed, err
	}
	if len(issuers) != 1 {
		return nil, oa.Issuer{}, CodeUnsupportedFormat, errors.New("documents with several issuers are not supported")
	}
	is := issuers[0]
	switch {
	case is.Anchored():
		return nil, is, CodeBlockchainAnchorUnsupported, errors.New("the document's issuance is anchored in an Ethereum document store or token registry, which this verifier does not contact")
	case is.RevocationType == "REVOCATION_STORE":
		return nil, is, CodeBlockchainAnchorUnsupported, errors.New("the document's revocation is kept in an Ethereum revocation store, which this verifier does not contact")
	case is.RevocationType != "NONE":
		return nil, is, CodeUnsupportedFormat, fmt.Errorf("revocation type %q is not supported", truncate(is.RevocationType))
	case is.IdentityType != oa.IdentityDNSDID:
		return nil, is, CodeUnsupportedFormat, fmt.Errorf("identity proof %q is not supported (DNS-DID only)", truncate(is.IdentityType))
	case len(doc.Proofs) == 0:
		return nil, is, CodeUnsupportedFormat, errors.New("the document has no DID proof")
	}
	return doc, is, "", nil
}

// checkDocument runs the checks after parsing, the local ones first:
// integrity, signature, the registry's view of the domain (in memory), and
// only then the DNS lookup.
func (v *Verifier) checkDocument(ctx context.Context, doc *oa.Document, is oa.Issuer, r *Result, p *Policy) {
	if err := doc.CheckIntegrity(); err != nil {
		r.fail(CheckIntegrity, Code(errs.CodeOf(err)), publicMessage(err))
		return
	}
	r.pass(CheckIntegrity)
	if code, msg := verifyDocumentProof(doc, is); code != "" {
		r.fail(CheckSignature, code, msg)
		return
	}
	r.pass(CheckSignature)

	claims, err := doc.Claims()
	if err != nil {
		r.fail(CheckFormat, CodeMalformed, err.Error())
		return
	}
	typ := r.Document.Template
	if typ == "" {
		typ = DocumentTypeDefault
	}
	// No issuance time: a v2 document carries no signed one (proof.created
	// is outside the signature), so recognition is decided for now only.
	c := &credential{format: FormatOpenAttestation, issuer: r.Document.Domain, types: []string{typ}, claims: claims}
	r.Issuer, r.Types = c.issuer, c.types
	now := v.now()
	relied := reliedType(c.types, p)
	if !p.RecognitionOptional {
		if code, msg, ok := v.preRecognise(ctx, c, relied, now); !ok {
			r.fail(CheckRecognition, code, msg)
			return
		}
	}
	if code, msg := v.checkIdentity(ctx, r.Document); code != "" {
		r.fail(CheckIdentity, code, msg)
		return
	}
	r.pass(CheckIdentity)
	d, recognised := v.checkRecognition(ctx, c, r, p, "", relied, now)
	if recognised {
		v.checkAssurance(d, r, p)
	}
	r.Claims = v.releaseClaims(c, d, r, p, recognised, relied)
	v.checkPolicy(c, d, r, p, recognised)
}

// verifyDocumentProof checks the proof made by the issuer's key.
func verifyDocumentProof(doc *oa.Document, is oa.Issuer) (Code, string) {
	want, ok := oa.EthrAddress(is.Key)
	if !ok {
		return CodeSignatureInvalid, "the issuer's identity proof names no default did:ethr key"
	}
	for _, pr := range doc.Proofs {
		if got, ok := oa.EthrAddress(pr.VerificationMethod); !ok || got != want {
			continue
		}
		if err := doc.VerifyProof(pr); err != nil {
			code := Code(errs.CodeOf(err))
			if code == "" {
				code = CodeSignatureInvalid
			}
			return code, publicMessage(err)
		}
		return "", ""
	}
	return CodeSignatureInvalid, "no proof of the document is made by the issuer's key " + truncate(is.Key)
}

// checkIdentity looks up the DNS-DID records of the issuer's domain: one
// must name the signing key.
func (v *Verifier) checkIdentity(ctx context.Context, info *DocumentInfo) (Code, string) {
	if info.Domain == "" {
		return CodeIdentityProofFailed, "the issuer's identity proof names no valid DNS domain"
	}
	res, err := v.documents.resolver()
	if err != nil {
		return CodeIdentityProofUnavailable, "no DNS resolver: " + err.Error()
	}
	a, err := res.LookupTXT(ctx, info.Domain)
	if err != nil {
		return CodeIdentityProofUnavailable, publicMessage(err)
	}
	info.DNSSEC = a.Authenticated
	want, wantOK := oa.EthrAddress(info.Key)
	others := 0
	for _, rec := range a.Records {
		k, ok := oa.DNSDIDKey(rec)
		if !ok {
			continue
		}
		if got, ok := oa.EthrAddress(k); ok && wantOK && got == want {
			return "", ""
		}
		others++
	}
	if others > 0 {
		return CodeIdentityProofFailed, fmt.Sprintf("the DNS-DID records of %s name other keys than %s", info.Domain, truncate(info.Key))
	}
	return CodeIdentityProofFailed, "no DNS-DID record at " + info.Domain
}

// publicMessage is the public message of a coded error, else its text.
func publicMessage(err error) string {
	if e := errs.As(err); e != nil && e.Message != "" {
		return e.Message
	}
	return err.Error()
}
