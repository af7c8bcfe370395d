package trustregistry

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// SnapshotType is the JWS typ header of registry snapshots.
const SnapshotType = "idport-registry-snapshot+jwt"

// MaxSnapshotBytes bounds the size of a snapshot a client accepts: the snapshot of a registry
// of 1,000,000 authorities fits.
const MaxSnapshotBytes = 1 << 30

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
	// Checkpoint is the latest signed checkpoint (compact JWS, see Checkpoint): the state below
	// must digest to its state digest. Absent only for the empty registry.
	Checkpoint string `json:"checkpoint,omitempty"`
	State      *State `json:"state"`
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

// maxHeaderBytes bounds the encoded protected header.
const maxHeaderBytes = 4096

// splitJWS splits a compact JWS and decodes its protected header. It refuses algorithms off the
// allow-list and headers that point at keys (jku, jwk, x5u, x5c), carry critical extensions or
// unencoded payloads (b64).
func splitJWS(compact []byte) (h JWSHeader, signingInput, payloadB64, sig []byte, err error) {
	first := bytes.IndexByte(compact, '.')
	last := bytes.LastIndexByte(compact, '.')
	if first <= 0 || last == first || bytes.IndexByte(compact[first+1:last], '.') >= 0 {
		return h, nil, nil, nil, fmt.Errorf("%w: not a compact JWS", ErrSnapshot)
	}
	if first > maxHeaderBytes {
		return h, nil, nil, nil, fmt.Errorf("%w: protected header too large", ErrSnapshot)
	}
	hb, err := base64.RawURLEncoding.DecodeString(string(compact[:first]))
	if err != nil {
		return h, nil, nil, nil, fmt.Errorf("%w: header encoding: %w", ErrSnapshot, err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(hb, &members); err != nil {
		return h, nil, nil, nil, fmt.Errorf("%w: header: %w", ErrSnapshot, err)
	}
	for _, m := range []string{"jku", "jwk", "x5u", "x5c", "crit", "b64"} {
		if _, ok := members[m]; ok {
			return h, nil, nil, nil, fmt.Errorf("%w: header member %q not accepted", ErrSnapshot, m)
		}
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return h, nil, nil, nil, fmt.Errorf("%w: header: %w", ErrSnapshot, err)
	}
	if !keys.IsAllowed(keys.Alg(h.Alg)) {
		return h, nil, nil, nil, fmt.Errorf("%w: algorithm %q not allowed", ErrSnapshot, h.Alg)
	}
	sig, err = base64.RawURLEncoding.DecodeString(string(compact[last+1:]))
	if err != nil {
		return h, nil, nil, nil, fmt.Errorf("%w: signature encoding: %w", ErrSnapshot, err)
	}
	return h, compact[:last], compact[first+1 : last], sig, nil
}

// PeekJWS returns the protected header of a compact JWS without verifying it (same refusals
// as VerifyJWS).
func PeekJWS(compact []byte) (JWSHeader, error) {
	h, _, _, _, err := splitJWS(compact)
	return h, err
}

// VerifyJWS checks a compact JWS of typ with pub and returns its payload. This is the lean
// verify path: one header decode, one signature check (pkg/keys), one payload decode.
func VerifyJWS(compact []byte, typ string, pub crypto.PublicKey) ([]byte, JWSHeader, error) {
	h, input, payloadB64, sig, err := splitJWS(compact)
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
	if err := keys.Verify(alg, pub, input, sig); err != nil {
		return nil, h, fmt.Errorf("%w: signature: %w", ErrSnapshot, err)
	}
	payload := make([]byte, base64.RawURLEncoding.DecodedLen(len(payloadB64)))
	n, err := base64.RawURLEncoding.Decode(payload, payloadB64)
	if err != nil {
		return nil, h, fmt.Errorf("%w: payload encoding: %w", ErrSnapshot, err)
	}
	return payload[:n], h, nil
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
