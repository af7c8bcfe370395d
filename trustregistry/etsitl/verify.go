package etsitl

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/idport/idport/pkg/errs"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// VerifyOptions are the inputs of Verify.
type VerifyOptions struct {
	// Pinned are the certificates the regulator pinned for the list's operator; the list must be
	// signed by one of them, valid at Now.
	Pinned []*x509.Certificate
	// Now is the time of the check (default time.Now).
	Now    time.Time
	Limits Limits
}

// Verified is a list whose signature verified, read from the signed bytes only.
type Verified struct {
	List *TrustedList
	// Signer is the pinned certificate that signed the list.
	Signer *x509.Certificate
}

// ParsePins parses PEM certificates (one or more blocks per entry).
func ParsePins(pems ...[]byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, p := range pems {
		rest := p
		found := false
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, errs.Wrap(CodeBadPin, "a pinned signer certificate does not parse", err)
			}
			out, found = append(out, c), true
		}
		if !found {
			return nil, errs.New(CodeBadPin, "a pinned signer certificate has no PEM CERTIFICATE block")
		}
	}
	return out, nil
}

// Verify checks a trusted list: size and XML safety before anything else, then its enveloped
// XAdES baseline B signature by a pinned certificate (goxmldsig for the document reference and
// SignedInfo; the SignedProperties reference and the signing-certificate digest here, with
// goxmldsig's canonicalisers), then its NextUpdate. The list is read from the bytes the
// signature covers, never from the unsigned document.
func Verify(data []byte, o VerifyOptions) (*Verified, error) {
	if len(o.Pinned) == 0 {
		return nil, errs.New(CodeBadPin, "at least one pinned signer certificate is required")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	doc, err := parseSafe(data, o.Limits)
	if err != nil {
		return nil, err
	}
	root := doc.Root()
	if root.Tag != "TrustServiceStatusList" || root.NamespaceURI() != NSTSL {
		return nil, malformed("the root element is %s, not a TS 119 612 TrustServiceStatusList", root.Tag)
	}
	sig, err := theSignature(root)
	if err != nil {
		return nil, err
	}
	signer, err := pinnedSigner(sig, o.Pinned, o.Now)
	if err != nil {
		return nil, err
	}
	if err := derECDSASignature(sig, signer); err != nil {
		return nil, err
	}
	if err := checkSignedProperties(sig, signer); err != nil {
		return nil, err
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{signer}})
	vc.IdAttribute = "Id"
	vc.Clock = dsig.NewFakeClockAt(o.Now)
	signed, err := vc.Validate(signatureFirst(root))
	if err != nil {
		return nil, errs.Wrap(CodeSignatureInvalid, "the trusted list signature does not verify", err)
	}
	l, err := parseList(signed)
	if err != nil {
		return nil, err
	}
	if l.NextUpdate.IsZero() {
		return nil, errs.New(CodeExpired, "the trusted list is closed (it has no NextUpdate)")
	}
	if !o.Now.Before(l.NextUpdate) {
		return nil, errs.Errorf(CodeExpired, "the trusted list expired at its NextUpdate %s", l.NextUpdate.UTC().Format(time.RFC3339))
	}
	return &Verified{List: l, Signer: signer}, nil
}

// signatureFirst returns a copy of root with its Signature moved to be its first child.
// goxmldsig looks for the signature depth-first and gives up after 1,000 elements, while
// TS 119 612 puts the signature after every provider: a national list has tens of thousands of
// elements before it. Moving the element changes nothing that is signed: the enveloped-signature
// transform removes the Signature element wherever it is, and the text around it stays put.
func signatureFirst(root *etree.Element) *etree.Element {
	c := root.Copy()
	for _, el := range c.ChildElements() {
		if el.Tag == "Signature" && el.NamespaceURI() == NSDS {
			c.RemoveChild(el)
			c.InsertChildAt(0, el)
			break
		}
	}
	return c
}

// theSignature returns the one ds:Signature of the document, which must be a child of the root:
// a second signature anywhere (a wrapping attempt) is refused.
func theSignature(root *etree.Element) (*etree.Element, error) {
	var sigs []*etree.Element
	var walk func(*etree.Element)
	walk = func(el *etree.Element) {
		for _, c := range el.ChildElements() {
			if c.Tag == "Signature" && c.NamespaceURI() == NSDS {
				sigs = append(sigs, c)
			}
			walk(c)
		}
	}
	walk(root)
	switch {
	case len(sigs) == 0:
		return nil, errs.New(CodeSignatureInvalid, "the trusted list is not signed")
	case len(sigs) > 1:
		return nil, errs.New(CodeSignatureInvalid, "the trusted list has more than one signature")
	case sigs[0].Parent() != root:
		return nil, errs.New(CodeSignatureInvalid, "the trusted list signature is not enveloped in the list's root")
	}
	return sigs[0], nil
}

// pinnedSigner returns the pinned certificate equal to the first certificate of KeyInfo.
func pinnedSigner(sig *etree.Element, pinned []*x509.Certificate, now time.Time) (*x509.Certificate, error) {
	x := child(child(child(sig, NSDS, "KeyInfo"), NSDS, "X509Data"), NSDS, "X509Certificate")
	if x == nil {
		return nil, errs.New(CodeSignerNotPinned, "the trusted list signature carries no signing certificate (KeyInfo/X509Data)")
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(x.Text()), ""))
	if err != nil {
		return nil, errs.New(CodeSignatureInvalid, "the signing certificate in KeyInfo is not base64")
	}
	for _, p := range pinned {
		if bytes.Equal(p.Raw, der) {
			if now.Before(p.NotBefore) || now.After(p.NotAfter) {
				return nil, errs.Errorf(CodeSignerNotPinned, "the pinned signing certificate %s is not valid now", CertSHA256(p))
			}
			return p, nil
		}
	}
	if c, err := x509.ParseCertificate(der); err == nil {
		return nil, errs.Errorf(CodeSignerNotPinned, "the trusted list is signed by %q (sha256 %s), which is not pinned", c.Subject.String(), CertSHA256(c))
	}
	return nil, errs.New(CodeSignerNotPinned, "the trusted list is signed by a certificate that is not pinned")
}

// derECDSASignature rewrites an XMLDSig ECDSA SignatureValue (r||s, RFC 4051) into the ASN.1
// form goxmldsig checks with crypto/x509. SignatureValue is not itself signed: changing its
// encoding changes nothing the signature covers.
func derECDSASignature(sig *etree.Element, signer *x509.Certificate) error {
	pub, ok := signer.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil
	}
	sv := child(sig, NSDS, "SignatureValue")
	if sv == nil {
		return errs.New(CodeSignatureInvalid, "the trusted list signature has no SignatureValue")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(sv.Text()), ""))
	if err != nil {
		return errs.New(CodeSignatureInvalid, "the SignatureValue is not base64")
	}
	n := (pub.Curve.Params().BitSize + 7) / 8
	if len(raw) != 2*n {
		return nil // already ASN.1 (as goxmldsig itself writes)
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(raw[:n]))
		b.AddASN1BigInt(new(big.Int).SetBytes(raw[n:]))
	})
	der, err := b.Bytes()
	if err != nil {
		return fmt.Errorf("encoding the ECDSA signature: %w", err)
	}
	sv.SetText(base64.StdEncoding.EncodeToString(der))
	return nil
}

// checkSignedProperties checks the XAdES baseline B part of the signature: a Reference of type
// SignedProperties to the xades:SignedProperties inside the signature, whose digest matches,
// and whose SigningCertificateV2 (or SigningCertificate) names the signing certificate. The
// digest values come from SignedInfo, which goxmldsig then verifies against the signer.
func checkSignedProperties(sig *etree.Element, signer *x509.Certificate) error {
	si := child(sig, NSDS, "SignedInfo")
	var ref *etree.Element
	for _, r := range children(si, NSDS, "Reference") {
		if r.SelectAttrValue("Type", "") == TypeSignedProperties {
			if ref != nil {
				return errs.New(CodeSignatureInvalid, "the signature references SignedProperties twice")
			}
			ref = r
		}
	}
	if ref == nil {
		return errs.New(CodeSignatureInvalid, "the signature is not XAdES: no Reference to SignedProperties")
	}
	uri := ref.SelectAttrValue("URI", "")
	if !strings.HasPrefix(uri, "#") || len(uri) < 2 {
		return errs.Errorf(CodeSignatureInvalid, "the SignedProperties Reference URI %q is not a same-document fragment", uri)
	}
	var sp *etree.Element
	for _, obj := range children(sig, NSDS, "Object") {
		for _, qp := range children(obj, NSXAdES, "QualifyingProperties") {
			for _, p := range children(qp, NSXAdES, "SignedProperties") {
				if p.SelectAttrValue("Id", "") == uri[1:] {
					if sp != nil {
						return errs.New(CodeSignatureInvalid, "two SignedProperties carry the referenced Id")
					}
					sp = p
				}
			}
		}
	}
	if sp == nil {
		return errs.Errorf(CodeSignatureInvalid, "the signature has no SignedProperties with Id %q in ds:Object/xades:QualifyingProperties", uri[1:])
	}
	can, err := transformCanonicalizer(ref)
	if err != nil {
		return err
	}
	dm := child(ref, NSDS, "DigestMethod")
	if dm == nil {
		return errs.New(CodeSignatureInvalid, "the SignedProperties Reference has no DigestMethod")
	}
	got, err := digestIn(sp, can, dm.SelectAttrValue("Algorithm", ""))
	if err != nil {
		return err
	}
	want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text(child(ref, NSDS, "DigestValue"))))
	if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
		return errs.New(CodeSignatureInvalid, "the SignedProperties digest does not match: the signed properties were changed")
	}
	return checkSigningCertificate(sp, signer)
}

func checkSigningCertificate(sp *etree.Element, signer *x509.Certificate) error {
	ssp := child(sp, NSXAdES, "SignedSignatureProperties")
	sc := child(ssp, NSXAdES, "SigningCertificateV2")
	if sc == nil {
		sc = child(ssp, NSXAdES, "SigningCertificate")
	}
	if sc == nil {
		return errs.New(CodeSignatureInvalid, "the SignedProperties name no signing certificate (SigningCertificateV2)")
	}
	for _, c := range children(sc, NSXAdES, "Cert") {
		cd := child(c, NSXAdES, "CertDigest")
		alg := child(cd, NSDS, "DigestMethod")
		if alg == nil {
			continue
		}
		h, ok := digestAlgorithm(alg.SelectAttrValue("Algorithm", ""))
		if !ok {
			continue
		}
		want, err := base64.StdEncoding.DecodeString(text(child(cd, NSDS, "DigestValue")))
		if err != nil {
			continue
		}
		d := h.New()
		d.Write(signer.Raw)
		if subtle.ConstantTimeCompare(d.Sum(nil), want) == 1 {
			return nil
		}
	}
	return errs.New(CodeSignatureInvalid, "the SignedProperties name another signing certificate than the one in KeyInfo")
}

func digestAlgorithm(uri string) (crypto.Hash, bool) {
	switch uri {
	case "http://www.w3.org/2001/04/xmlenc#sha256":
		return crypto.SHA256, true
	case "http://www.w3.org/2001/04/xmldsig-more#sha384":
		return crypto.SHA384, true
	case "http://www.w3.org/2001/04/xmlenc#sha512":
		return crypto.SHA512, true
	}
	return 0, false
}

// transformCanonicalizer returns goxmldsig's canonicaliser for the Reference's transforms
// (canonical XML 1.0 when none is given, as XMLDSig says).
func transformCanonicalizer(ref *etree.Element) (dsig.Canonicalizer, error) {
	can := dsig.MakeC14N10RecCanonicalizer()
	for _, t := range children(child(ref, NSDS, "Transforms"), NSDS, "Transform") {
		switch alg := dsig.AlgorithmID(t.SelectAttrValue("Algorithm", "")); alg {
		case dsig.CanonicalXML10ExclusiveAlgorithmId:
			prefixes := ""
			for _, c := range t.ChildElements() {
				if c.Tag == "InclusiveNamespaces" {
					prefixes = c.SelectAttrValue("PrefixList", "")
				}
			}
			can = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixes)
		case dsig.CanonicalXML11AlgorithmId:
			can = dsig.MakeC14N11Canonicalizer()
		case dsig.CanonicalXML10RecAlgorithmId:
			can = dsig.MakeC14N10RecCanonicalizer()
		default:
			return nil, errs.Errorf(CodeSignatureInvalid, "the SignedProperties Reference has an unsupported transform %q", alg)
		}
	}
	return can, nil
}

// digestIn canonicalises el in its namespace context (on a detached copy) and digests it.
func digestIn(el *etree.Element, can dsig.Canonicalizer, digestURI string) ([]byte, error) {
	h, ok := digestAlgorithm(digestURI)
	if !ok {
		return nil, errs.Errorf(CodeSignatureInvalid, "unsupported digest algorithm %q", digestURI)
	}
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, errs.Wrap(CodeSignatureInvalid, "the signed element's namespaces do not resolve", err)
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, errs.Wrap(CodeSignatureInvalid, "the signed element's namespaces do not resolve", err)
	}
	b, err := can.Canonicalize(detached)
	if err != nil {
		return nil, errs.Wrap(CodeSignatureInvalid, "canonicalising a signed element", err)
	}
	d := h.New()
	d.Write(b)
	return d.Sum(nil), nil
}
