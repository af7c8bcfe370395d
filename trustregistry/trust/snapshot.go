package trust

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// SnapshotType is the JWS typ header of registry snapshots.
const SnapshotType = "idport-registry-snapshot+jwt"

// MaxSnapshotBytes bounds the size of a snapshot a client accepts.
const MaxSnapshotBytes = 64 << 20

// Snapshot is the full registry state at a version, as signed and distributed.
type Snapshot struct {
	Issuer     string    `json:"iss"`
	Sequence   uint64    `json:"sequence"`
	Version    uint64    `json:"version"`
	IssuedAt   time.Time `json:"issued_at"`
	NextUpdate time.Time `json:"next_update"`
	// NextKey, in a snapshot signed by the current key, announces the public JWK that signs
	// every snapshot from the next sequence on (key rotation).
	NextKey json.RawMessage `json:"next_key,omitempty"`
	State   *State          `json:"state"`
}

// SignSnapshot encodes s and signs it with k as a compact JWS (kid = k.ID, typ SnapshotType).
func SignSnapshot(k *keys.Key, s *Snapshot) ([]byte, error) {
	payload, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding snapshot: %w", err)
	}
	return SignJWS(k, SnapshotType, payload)
}

// SignJWS signs payload with k as a compact JWS with the given typ header (jwx).
func SignJWS(k *keys.Key, typ string, payload []byte) ([]byte, error) {
	if k == nil || k.Signer == nil {
		return nil, fmt.Errorf("signing: %w", keys.ErrPublicOnly)
	}
	h := jws.NewHeaders()
	for name, v := range map[string]any{jws.KeyIDKey: k.ID, jws.TypeKey: typ} {
		if err := h.Set(name, v); err != nil {
			return nil, fmt.Errorf("JWS header %s: %w", name, err)
		}
	}
	out, err := jws.Sign(payload, jws.WithKey(jwa.SignatureAlgorithm(k.Alg), k.Signer, jws.WithProtectedHeaders(h)))
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", typ, err)
	}
	return out, nil
}

// JWSHeader is the part of a JWS protected header that verifiers look at.
type JWSHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// PeekJWS returns the protected header of a compact JWS without verifying it. It refuses
// algorithms off the allow-list and headers that would point at keys (jku, jwk, x5u, x5c) or
// carry critical extensions.
func PeekJWS(compact []byte) (JWSHeader, error) {
	var h JWSHeader
	msg, err := jws.Parse(compact)
	if err != nil {
		return h, fmt.Errorf("%w: malformed JWS: %w", ErrSnapshot, err)
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return h, fmt.Errorf("%w: want one signature, got %d", ErrSnapshot, len(sigs))
	}
	ph := sigs[0].ProtectedHeaders()
	if ph.JWKSetURL() != "" || ph.JWK() != nil || ph.X509URL() != "" || (ph.X509CertChain() != nil && ph.X509CertChain().Len() > 0) || len(ph.Critical()) > 0 {
		return h, fmt.Errorf("%w: header carries jku, jwk, x5u, x5c or crit", ErrSnapshot)
	}
	h.Alg, h.Kid, h.Typ = ph.Algorithm().String(), ph.KeyID(), ph.Type()
	if !keys.IsAllowed(keys.Alg(h.Alg)) {
		return h, fmt.Errorf("%w: algorithm %q not allowed", ErrSnapshot, h.Alg)
	}
	return h, nil
}

// VerifyJWS checks a compact JWS of typ with pub and returns its payload.
func VerifyJWS(compact []byte, typ string, pub crypto.PublicKey) ([]byte, JWSHeader, error) {
	h, err := PeekJWS(compact)
	if err != nil {
		return nil, h, err
	}
	if h.Typ != typ {
		return nil, h, fmt.Errorf("%w: typ %q, want %q", ErrSnapshot, h.Typ, typ)
	}
	alg, err := keys.AlgOf(pub)
	if err != nil {
		return nil, h, fmt.Errorf("%w: pinned key: %w", ErrSnapshot, err)
	}
	if string(alg) != h.Alg {
		return nil, h, fmt.Errorf("%w: signed with %s, pinned key is %s", ErrSnapshot, h.Alg, alg)
	}
	payload, err := jws.Verify(compact, jws.WithKey(jwa.SignatureAlgorithm(alg), pub))
	if err != nil {
		return nil, h, fmt.Errorf("%w: signature: %w", ErrSnapshot, err)
	}
	return payload, h, nil
}

// VerifySnapshot checks a signed snapshot against pub and decodes it. It does not judge
// sequence or freshness: that is the replica's job.
func VerifySnapshot(compact []byte, pub crypto.PublicKey) (*Snapshot, error) {
	if len(compact) > MaxSnapshotBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrSnapshot, len(compact), MaxSnapshotBytes)
	}
	payload, _, err := VerifyJWS(bytes.TrimSpace(compact), SnapshotType, pub)
	if err != nil {
		return nil, err
	}
	var s Snapshot
	if err := json.Unmarshal(payload, &s); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrSnapshot, err)
	}
	if s.State == nil || s.Sequence == 0 || s.State.Version != s.Version || s.IssuedAt.IsZero() || !s.NextUpdate.After(s.IssuedAt) {
		return nil, fmt.Errorf("%w: missing state, sequence or times", ErrSnapshot)
	}
	fill(s.State, NewState())
	if err := ValidateState(s.State); err != nil {
		return nil, fmt.Errorf("%w: state: %w", ErrSnapshot, err)
	}
	return &s, nil
}

// fill gives nil maps of s the empty maps of e.
func fill(s, e *State) {
	if s.Jurisdictions == nil {
		s.Jurisdictions = e.Jurisdictions
	}
	if s.Schemes == nil {
		s.Schemes = e.Schemes
	}
	if s.Authorities == nil {
		s.Authorities = e.Authorities
	}
	if s.Agreements == nil {
		s.Agreements = e.Agreements
	}
	if s.Recognitions == nil {
		s.Recognitions = e.Recognitions
	}
}
