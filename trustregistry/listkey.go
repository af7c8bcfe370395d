package trustregistry

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/idport/idport/pkg/keys"
)

// secretListKey names the stored, sealed trusted-list signing key and its certificate.
const secretListKey = "trusted-list-key"

// ListSigner is the key that signs the registry's ETSI TS 119 612 trusted list, with the
// self-signed certificate published in the list's KeyInfo (relying parties pin it).
//
// It is a dedicated ECDSA P-256 key, not the registry's snapshot key: the registry key is
// Ed25519 by default and XMLDSig libraries (goxmldsig among them) do not sign with Ed25519,
// and a list key that never rotates with the snapshot key keeps foreign pins stable. It is
// generated on first use and sealed at rest exactly like the registry key.
type ListSigner struct {
	Key         *keys.Key
	Certificate *x509.Certificate
}

type storedListKey struct {
	Sealed      []byte `json:"sealed"`
	Certificate []byte `json:"certificate"`
}

// TrustedListSigner returns the trusted-list signing key, generating and storing it (sealed)
// on first use.
func (s *Service) TrustedListSigner(ctx context.Context) (*ListSigner, error) {
	if ls := s.listKey.Load(); ls != nil {
		return ls, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ls := s.listKey.Load(); ls != nil {
		return ls, nil
	}
	ls, err := s.loadListKey(ctx)
	if errors.Is(err, ErrNotFound) {
		ls, err = s.newListKey(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("trusted-list signing key: %w", err)
	}
	s.listKey.Store(ls)
	return ls, nil
}

func (s *Service) loadListKey(ctx context.Context) (*ListSigner, error) {
	b, err := s.store.GetSecret(ctx, secretListKey)
	if err != nil {
		return nil, err
	}
	var st storedListKey
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	k, err := s.sealer.OpenKey(st.Sealed)
	if err != nil {
		return nil, fmt.Errorf("opening (wrong key secret?): %w", err)
	}
	c, err := x509.ParseCertificate(st.Certificate)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return &ListSigner{Key: k, Certificate: c}, nil
}

func (s *Service) newListKey(ctx context.Context) (*ListSigner, error) {
	k, err := keys.Generate(keys.ES256)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{SerialNumber: serial,
		Subject:   pkix.Name{CommonName: s.cfg.Issuer + " trusted list signer"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public, k.Signer)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealer.SealKey(k)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(storedListKey{Sealed: sealed, Certificate: der})
	if err != nil {
		return nil, err
	}
	if err := s.store.PutSecret(ctx, secretListKey, b); err != nil {
		return nil, err
	}
	s.log.Info("generated the trusted-list signing key", "kid", k.ID)
	return &ListSigner{Key: k, Certificate: c}, nil
}
