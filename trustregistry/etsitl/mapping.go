package etsitl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Selection says which entries of a verified list become authorities, and how.
type Selection struct {
	// Scheme is the registry scheme the authorities join.
	Scheme string
	// CredentialTypes and Assurance are those of every imported authority.
	CredentialTypes []string
	Assurance       string
	// ServiceTypes keeps only services of these ServiceTypeIdentifier URIs (empty: all).
	ServiceTypes []string
	// TSPs keeps only these trust service providers, by name, case-insensitively (empty: all).
	TSPs []string
	// ImportedBy and At are recorded in every key's provenance (CheckedBy, CheckedAt).
	ImportedBy string
	At         time.Time
	// Source names where the list came from (a file name, a URL) in the provenance.
	Source string
}

// Summary describes a verified list.
type Summary struct {
	Territory      string    `json:"territory"`
	Operator       string    `json:"operator"`
	SequenceNumber uint64    `json:"sequence_number"`
	IssuedAt       time.Time `json:"issued_at"`
	NextUpdate     time.Time `json:"next_update"`
	// SignerSHA256 is the base64url SHA-256 of the pinned certificate that signed the list.
	SignerSHA256  string `json:"signer_sha256"`
	SignerSubject string `json:"signer_subject"`
}

// ImportedKey is one line of an import's diff: a key, the authority it is pinned for, and where
// in the list it came from.
type ImportedKey struct {
	Authority  string                          `json:"authority"`
	Thumbprint string                          `json:"thumbprint"`
	KeyType    string                          `json:"key_type"`
	New        bool                            `json:"new"`
	Source     trustregistry.TrustedListSource `json:"source"`
}

// Skipped is a service of the list that matched the selection but was not imported.
type Skipped struct {
	TSP     string `json:"tsp"`
	Service string `json:"service"`
	Reason  string `json:"reason"`
}

// Mapping is the outcome of Map: a change set to propose and its diff, key by key.
type Mapping struct {
	List      Summary                 `json:"list"`
	ChangeSet trustregistry.ChangeSet `json:"change_set"`
	Keys      []ImportedKey           `json:"keys"`
	Skipped   []Skipped               `json:"skipped,omitempty"`
}

// Summarise describes a verified list.
func Summarise(v *Verified) Summary {
	return Summary{Territory: v.List.Territory, Operator: v.List.Operator, SequenceNumber: v.List.SequenceNumber,
		IssuedAt: v.List.IssuedAt, NextUpdate: v.List.NextUpdate, SignerSHA256: CertSHA256(v.Signer), SignerSubject: v.Signer.Subject.String()}
}

// Map turns the selected granted services of a verified list into one upsert_authority per
// trust service provider: its legal name is the TSP's name, its pinned keys are the public keys
// of the selected services' certificates, each with its provenance. current (may be nil) marks
// which keys are new to the registry. Nothing is applied: the change set is for Propose.
func Map(v *Verified, sel Selection, current *trustregistry.State) (*Mapping, error) {
	m := &Mapping{List: Summarise(v)}
	at := sel.At.UTC()
	for _, p := range v.List.Providers {
		if len(sel.TSPs) > 0 && !slices.ContainsFunc(sel.TSPs, func(n string) bool { return strings.EqualFold(strings.TrimSpace(n), p.Name) }) {
			continue
		}
		a := &trustregistry.Authority{ID: AuthorityID(v.List.Territory, p.Name), Scheme: sel.Scheme, LegalName: p.Name,
			CredentialTypes: slices.Clone(sel.CredentialTypes), Assurance: sel.Assurance}
		for _, s := range p.Services {
			if len(sel.ServiceTypes) > 0 && !slices.Contains(sel.ServiceTypes, s.Type) {
				continue
			}
			if s.Status != StatusGranted && s.Status != StatusRecognisedAtNationalLevel {
				m.Skipped = append(m.Skipped, Skipped{TSP: p.Name, Service: s.Name, Reason: "status " + s.Status})
				continue
			}
			if len(s.Certificates) == 0 {
				m.Skipped = append(m.Skipped, Skipped{TSP: p.Name, Service: s.Name, Reason: "no X.509 certificate"})
				continue
			}
			for _, c := range s.Certificates {
				k, kty, err := pinnedKey(c)
				if err != nil {
					m.Skipped = append(m.Skipped, Skipped{TSP: p.Name, Service: s.Name, Reason: err.Error()})
					continue
				}
				if slices.ContainsFunc(a.Keys, func(x trustregistry.AuthorityKey) bool { return x.Thumbprint == k.Thumbprint }) {
					continue
				}
				src := trustregistry.TrustedListSource{Territory: v.List.Territory, SequenceNumber: v.List.SequenceNumber,
					IssuedAt: v.List.IssuedAt, TSPName: p.Name, ServiceName: s.Name, ServiceType: s.Type,
					CertificateSHA256: CertSHA256(c), SignerSHA256: m.List.SignerSHA256}
				k.Provenance = trustregistry.Provenance{Method: trustregistry.ProvenanceTrustedList, Source: sel.Source,
					CheckedAt: at, CheckedBy: sel.ImportedBy, TrustedList: &src,
					Note: fmt.Sprintf("%s trusted list #%d, %s / %s", v.List.Territory, v.List.SequenceNumber, p.Name, s.Name)}
				a.Keys = append(a.Keys, k)
				m.Keys = append(m.Keys, ImportedKey{Authority: a.ID, Thumbprint: k.Thumbprint, KeyType: kty, New: !pinned(current, a.ID, k.Thumbprint), Source: src})
			}
		}
		if len(a.Keys) > 0 {
			m.ChangeSet.Ops = append(m.ChangeSet.Ops, trustregistry.Op{Op: trustregistry.OpUpsertAuthority, Authority: a})
		}
	}
	if len(m.ChangeSet.Ops) == 0 {
		return nil, errs.Errorf(CodeNothingSelected, "no granted service with a certificate in the %s list #%d matches the selection", v.List.Territory, v.List.SequenceNumber)
	}
	return m, nil
}

func pinned(s *trustregistry.State, id, tp string) bool {
	if s == nil {
		return false
	}
	a, ok := s.Authorities[id]
	return ok && slices.ContainsFunc(a.Keys, func(k trustregistry.AuthorityKey) bool { return k.Thumbprint == tp })
}

// AuthorityID is the registry id of a TSP of a territory's list: "tl-<territory>-<name>" with
// the name reduced to lower-case letters, digits and '-', at most 128 characters in all.
func AuthorityID(territory, tsp string) string {
	var b strings.Builder
	b.WriteString("tl-" + strings.ToLower(territory) + "-")
	dash := false
	for _, r := range strings.ToLower(tsp) {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	id := strings.TrimRight(b.String(), "-")
	if len(id) > 128 {
		id = strings.TrimRight(id[:128], "-")
	}
	return id
}

// pinnedKey returns the certificate's public key as a pinned key: its RFC 7638 thumbprint,
// with the JWK itself for the key types the registry verifies (Ed25519, P-256).
func pinnedKey(c *x509.Certificate) (trustregistry.AuthorityKey, string, error) {
	var k trustregistry.AuthorityKey
	jk, err := jwk.FromRaw(c.PublicKey)
	if err != nil {
		return k, "", fmt.Errorf("key type %T not supported", c.PublicKey)
	}
	tp, err := jk.Thumbprint(crypto.SHA256)
	if err != nil {
		return k, "", fmt.Errorf("thumbprint: %w", err)
	}
	k.Thumbprint = base64.RawURLEncoding.EncodeToString(tp)
	kty := string(jk.KeyType())
	switch pub := c.PublicKey.(type) {
	case ed25519.PublicKey:
		kty = "OKP Ed25519"
		k.JWK, err = keys.MinimalJWK(pub)
	case *ecdsa.PublicKey:
		kty = "EC " + pub.Curve.Params().Name
		if pub.Curve == elliptic.P256() {
			k.JWK, err = keys.MinimalJWK(pub)
		}
	}
	if err != nil {
		return k, "", fmt.Errorf("JWK: %w", err)
	}
	if len(k.JWK) > 0 && !json.Valid(k.JWK) {
		return k, "", fmt.Errorf("JWK is not JSON")
	}
	return k, kty, nil
}
