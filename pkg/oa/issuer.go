package oa

import (
	"strings"
)

// Identity proof types of v2 issuers.
const (
	IdentityDNSDID = "DNS-DID"
	IdentityDNSTXT = "DNS-TXT"
)

// Issuer is one entry of data.issuers, unsalted.
type Issuer struct {
	ID   string
	Name string
	// IdentityType is identityProof.type: DNS-DID, DNS-TXT, ...
	IdentityType string
	// Location is identityProof.location: the issuer's DNS domain.
	Location string
	// Key is identityProof.key: the DID URL of the signing key (DNS-DID).
	Key string
	// DocumentStore, TokenRegistry and CertificateStore are the Ethereum
	// contracts of documents anchored on a chain.
	DocumentStore, TokenRegistry, CertificateStore string
	// RevocationType is revocation.type (NONE when absent).
	RevocationType string
}

// Anchored reports whether the issuance of the document depends on an
// Ethereum contract (document store, token registry, certificate store)
// or a DNS-TXT identity naming one: it cannot be verified without a chain.
func (i Issuer) Anchored() bool {
	return i.DocumentStore != "" || i.TokenRegistry != "" || i.CertificateStore != "" || i.IdentityType == IdentityDNSTXT
}

// Issuers returns data.issuers unsalted. Fields that are obfuscated are
// empty.
func (d *Document) Issuers() ([]Issuer, error) {
	raw, ok := d.member("issuers").([]any)
	if !ok || len(raw) == 0 {
		return nil, malformed("data.issuers must be a non-empty list")
	}
	out := make([]Issuer, 0, len(raw))
	for _, e := range raw {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, malformed("data.issuers entries must be objects")
		}
		var is Issuer
		is.ID = saltedString(m["id"])
		is.Name = saltedString(m["name"])
		is.DocumentStore = saltedString(m["documentStore"])
		is.TokenRegistry = saltedString(m["tokenRegistry"])
		is.CertificateStore = saltedString(m["certificateStore"])
		if ip, ok := m["identityProof"].(map[string]any); ok {
			is.IdentityType = saltedString(ip["type"])
			is.Location = saltedString(ip["location"])
			is.Key = saltedString(ip["key"])
		}
		is.RevocationType = "NONE"
		if rv, ok := m["revocation"].(map[string]any); ok {
			if t := saltedString(rv["type"]); t != "" {
				is.RevocationType = t
			}
		}
		out = append(out, is)
	}
	return out, nil
}

// Template returns data.$template.name unsalted ("" when absent).
func (d *Document) Template() string {
	if t, ok := d.member("$template").(map[string]any); ok {
		return saltedString(t["name"])
	}
	return ""
}

func saltedString(v any) string {
	s, ok := v.(string)
	if !ok {
		return ""
	}
	u, keep, err := Unsalt(s)
	if err != nil || !keep {
		return ""
	}
	if str, ok := u.(string); ok {
		return str
	}
	return ""
}

// NormaliseDomain returns a DNS domain in lower case without a trailing
// dot, or "" when s is not a syntactically valid host name.
func NormaliseDomain(s string) string {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return ""
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return ""
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
				return ""
			}
		}
	}
	return s
}

// DNSDIDKey parses a DNS-DID TXT record
// ("openatts a=dns-did; p=did:ethr:0x...#controller; v=1.0;") and returns
// the key it names; ok is false for any other record.
func DNSDIDKey(txt string) (key string, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(txt), "openatts ")
	if !found {
		return "", false
	}
	var a, p, v string
	for _, part := range strings.Split(rest, ";") {
		name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.TrimSpace(name) {
		case "a":
			a = strings.TrimSpace(val)
		case "p":
			p = strings.TrimSpace(val)
		case "v":
			v = strings.TrimSpace(val)
		}
	}
	if a != "dns-did" || p == "" || v != "1.0" {
		return "", false
	}
	return p, true
}
