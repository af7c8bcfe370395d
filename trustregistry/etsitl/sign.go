package etsitl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

const (
	sha256URI      = "http://www.w3.org/2001/04/xmlenc#sha256"
	signatureID    = "tsl-signature"
	signedPropsID  = "tsl-signed-properties"
	ecdsaSHA256URI = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	rsaSHA256URI   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
)

// Sign appends to root an enveloped XMLDSig signature in the XAdES baseline B shape: one
// Reference to the whole document (enveloped-signature and exclusive canonicalisation), one to
// the xades:SignedProperties (signing time, SigningCertificateV2), the certificate in KeyInfo.
// The signer is ECDSA P-256 (SignatureValue r||s as RFC 4051 says) or RSA (PKCS #1 v1.5);
// canonicalisation is goxmldsig's. root must not be changed afterwards (re-indenting included).
func Sign(root *etree.Element, signer crypto.Signer, cert *x509.Certificate, at time.Time) error {
	method, err := signatureMethod(signer)
	if err != nil {
		return err
	}
	excC14N := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	// The whole list is canonicalised as it stands (no Signature yet: the enveloped-signature
	// transform's view), without detaching it: it is the root, and goxmldsig's detaching walks
	// at most 1,000 elements.
	canonicalDoc, err := excC14N.Canonicalize(root.Copy())
	if err != nil {
		return fmt.Errorf("canonicalising the list: %w", err)
	}
	docSum := sha256.Sum256(canonicalDoc)
	docDigest := docSum[:]

	sig := root.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NSDS)
	sig.CreateAttr("Id", signatureID)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", string(dsig.CanonicalXML10ExclusiveAlgorithmId))
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", method)
	sv := sig.CreateElement("ds:SignatureValue")
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	qp := sig.CreateElement("ds:Object").CreateElement("xades:QualifyingProperties")
	qp.CreateAttr("xmlns:xades", NSXAdES)
	qp.CreateAttr("Target", "#"+signatureID)
	sp := qp.CreateElement("xades:SignedProperties")
	sp.CreateAttr("Id", signedPropsID)
	ssp := sp.CreateElement("xades:SignedSignatureProperties")
	ssp.CreateElement("xades:SigningTime").SetText(at.UTC().Format(time.RFC3339))
	cd := ssp.CreateElement("xades:SigningCertificateV2").CreateElement("xades:Cert").CreateElement("xades:CertDigest")
	cd.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", sha256URI)
	certSum := sha256.Sum256(cert.Raw)
	cd.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(certSum[:]))

	addReference(si, "", TypeNone, docDigest, dsig.EnvelopedSignatureAltorithmId, dsig.CanonicalXML10ExclusiveAlgorithmId)
	spDigest, err := digestIn(sp, excC14N, sha256URI)
	if err != nil {
		return fmt.Errorf("digesting the signed properties: %w", err)
	}
	addReference(si, "#"+signedPropsID, TypeSignedProperties, spDigest, dsig.CanonicalXML10ExclusiveAlgorithmId)

	ctx, err := etreeutils.NSBuildParentContext(si)
	if err != nil {
		return err
	}
	detached, err := etreeutils.NSDetatch(ctx, si)
	if err != nil {
		return err
	}
	canonical, err := excC14N.Canonicalize(detached)
	if err != nil {
		return fmt.Errorf("canonicalising SignedInfo: %w", err)
	}
	value, err := signBytes(signer, canonical)
	if err != nil {
		return err
	}
	sv.SetText(base64.StdEncoding.EncodeToString(value))
	return nil
}

// TypeNone is the empty Reference Type (the document reference).
const TypeNone = ""

func addReference(si *etree.Element, uri, typ string, digest []byte, transforms ...dsig.AlgorithmID) {
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("URI", uri)
	if typ != "" {
		ref.CreateAttr("Type", typ)
	}
	ts := ref.CreateElement("ds:Transforms")
	for _, t := range transforms {
		ts.CreateElement("ds:Transform").CreateAttr("Algorithm", string(t))
	}
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", sha256URI)
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(digest))
}

func signatureMethod(s crypto.Signer) (string, error) {
	switch pub := s.Public().(type) {
	case *ecdsa.PublicKey:
		if pub.Curve.Params().BitSize != 256 {
			return "", errors.New("list signing: only ECDSA P-256 is supported")
		}
		return ecdsaSHA256URI, nil
	case *rsa.PublicKey:
		return rsaSHA256URI, nil
	}
	return "", fmt.Errorf("list signing: %T keys are not supported by XMLDSig here (ECDSA P-256 or RSA)", s.Public())
}

func signBytes(s crypto.Signer, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	sig, err := s.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing the list: %w", err)
	}
	if _, ok := s.Public().(*ecdsa.PublicKey); !ok {
		return sig, nil
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		return nil, fmt.Errorf("decoding the ECDSA signature: %w", err)
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return out, nil
}
