package etsitl

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/idport/idport/pkg/errs"
)

// TrustedList is the part of a TS 119 612 list the registry reads.
type TrustedList struct {
	SequenceNumber uint64    `json:"sequence_number"`
	Territory      string    `json:"territory"`
	Operator       string    `json:"operator"`
	IssuedAt       time.Time `json:"issued_at"`
	// NextUpdate is zero for a closed list.
	NextUpdate time.Time  `json:"next_update,omitzero"`
	Providers  []Provider `json:"providers"`
}

// Provider is a trust service provider of the list.
type Provider struct {
	Name     string    `json:"name"`
	Services []Service `json:"services"`
}

// Service is one trust service of a provider, with its current status and digital identity.
type Service struct {
	Type         string              `json:"type"`
	Name         string              `json:"name"`
	Status       string              `json:"status"`
	Certificates []*x509.Certificate `json:"-"`
	// Others are digital identities without a certificate (written by Export as
	// DigitalId/Other: an RFC 7638 key thumbprint or a DID); imports ignore them.
	Others []OtherID `json:"others,omitempty"`
}

// NSIdport is the namespace of idport's DigitalId/Other identities.
const NSIdport = "https://idport.dev/ns/trusted-list#"

// OtherID is a digital identity in DigitalId/Other: Kind is "JWKThumbprint" or "DID".
type OtherID struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// child returns the first child element of el with local name tag in namespace ns.
func child(el *etree.Element, ns, tag string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

func children(el *etree.Element, ns, tag string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

func text(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return strings.TrimSpace(el.Text())
}

// name returns the English Name of a multilingual name element, else its first Name.
func name(el *etree.Element) string {
	names := children(el, NSTSL, "Name")
	for _, n := range names {
		if strings.HasPrefix(strings.ToLower(n.SelectAttrValue("xml:lang", "")), "en") {
			return text(n)
		}
	}
	if len(names) > 0 {
		return text(names[0])
	}
	return ""
}

func malformed(format string, args ...any) error {
	return errs.Errorf(CodeMalformed, format, args...)
}

// parseList reads the list from its (verified) root element.
func parseList(root *etree.Element) (*TrustedList, error) {
	if root.Tag != "TrustServiceStatusList" || root.NamespaceURI() != NSTSL {
		return nil, malformed("the root element is %s, not a TS 119 612 TrustServiceStatusList", root.Tag)
	}
	si := child(root, NSTSL, "SchemeInformation")
	if si == nil {
		return nil, malformed("the list has no SchemeInformation")
	}
	l := &TrustedList{Territory: text(child(si, NSTSL, "SchemeTerritory")), Operator: name(child(si, NSTSL, "SchemeOperatorName"))}
	seq, err := strconv.ParseUint(text(child(si, NSTSL, "TSLSequenceNumber")), 10, 64)
	if err != nil || seq == 0 {
		return nil, malformed("TSLSequenceNumber %q is not a positive integer", text(child(si, NSTSL, "TSLSequenceNumber")))
	}
	l.SequenceNumber = seq
	if l.Territory == "" {
		return nil, malformed("the list has no SchemeTerritory")
	}
	if l.IssuedAt, err = time.Parse(time.RFC3339, text(child(si, NSTSL, "ListIssueDateTime"))); err != nil {
		return nil, malformed("ListIssueDateTime is not an xsd:dateTime")
	}
	if nu := text(child(child(si, NSTSL, "NextUpdate"), NSTSL, "dateTime")); nu != "" {
		if l.NextUpdate, err = time.Parse(time.RFC3339, nu); err != nil {
			return nil, malformed("NextUpdate is not an xsd:dateTime")
		}
	}
	for i, tsp := range children(child(root, NSTSL, "TrustServiceProviderList"), NSTSL, "TrustServiceProvider") {
		p := Provider{Name: name(child(child(tsp, NSTSL, "TSPInformation"), NSTSL, "TSPName"))}
		if p.Name == "" {
			return nil, malformed("trust service provider %d has no TSPName", i+1)
		}
		for j, svc := range children(child(tsp, NSTSL, "TSPServices"), NSTSL, "TSPService") {
			s, err := parseService(child(svc, NSTSL, "ServiceInformation"))
			if err != nil {
				return nil, malformed("%s, service %d: %v", p.Name, j+1, errs.As(err).Message)
			}
			p.Services = append(p.Services, s)
		}
		l.Providers = append(l.Providers, p)
	}
	return l, nil
}

func parseService(si *etree.Element) (Service, error) {
	if si == nil {
		return Service{}, malformed("no ServiceInformation")
	}
	s := Service{Type: text(child(si, NSTSL, "ServiceTypeIdentifier")), Name: name(child(si, NSTSL, "ServiceName")),
		Status: text(child(si, NSTSL, "ServiceStatus"))}
	if s.Type == "" || s.Name == "" || s.Status == "" {
		return Service{}, malformed("ServiceTypeIdentifier, ServiceName and ServiceStatus are required")
	}
	for _, id := range children(child(si, NSTSL, "ServiceDigitalIdentity"), NSTSL, "DigitalId") {
		for _, c := range children(id, NSTSL, "X509Certificate") {
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Text()), ""))
			if err != nil {
				return Service{}, malformed("an X509Certificate is not base64")
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return Service{}, malformed("an X509Certificate does not parse: %v", err)
			}
			s.Certificates = append(s.Certificates, cert)
		}
	}
	return s, nil
}

// CertSHA256 returns the base64url SHA-256 of the certificate's DER: the thumbprint the
// provenance of imported keys records.
func CertSHA256(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
