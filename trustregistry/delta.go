package trustregistry

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"time"

	"github.com/idport/idport/pkg/keys"
)

// DeltaType is the JWS typ header of registry deltas.
const DeltaType = "idport-registry-delta+jwt"

// MaxDeltaBytes bounds one signed delta a client accepts (a change set of MaxOps authorities
// fits).
const MaxDeltaBytes = 32 << 20

// Delta is the change of one applied registry version, signed with the registry key: the
// objects' new revisions (or removals) that lead from BaseVersion, whose state digest is
// BaseDigest, to Version, whose state digest is StateDigest, as the signed Checkpoint of that
// version states. A replica holding BaseVersion with BaseDigest applies it, recomputes the
// digest and accepts the result only when it is the checkpoint's.
type Delta struct {
	Issuer      string    `json:"iss"`
	Version     uint64    `json:"version"`
	BaseVersion uint64    `json:"base_version"`
	BaseDigest  string    `json:"base_digest"`
	StateDigest string    `json:"state_digest"`
	UpdatedAt   time.Time `json:"updated_at"`
	IssuedAt    time.Time `json:"issued_at"`
	// NextUpdate is when the replica needs news from the registry at the latest (a delta or a
	// snapshot), like a snapshot's.
	NextUpdate time.Time     `json:"next_update"`
	Changes    []DeltaChange `json:"changes,omitempty"`
	// Checkpoint is the signed checkpoint (compact JWS) of Version.
	Checkpoint string `json:"checkpoint"`
}

// DeltaChange is one object of a delta: its revision at the delta's version, or its removal
// (no object).
type DeltaChange struct {
	Kind   Kind            `json:"kind"`
	ID     string          `json:"id"`
	Object json.RawMessage `json:"object,omitempty"`
}

// NewDelta returns the delta of changes (from Apply, in canonical JSON) leading from base,
// whose digest is baseDigest, to next, whose signed checkpoint is ck (JWS of body c).
func NewDelta(issuer string, baseVersion uint64, baseDigest string, next *State, changes []Change, c Checkpoint, ck []byte, now time.Time, interval time.Duration) *Delta {
	d := &Delta{Issuer: issuer, Version: next.Version, BaseVersion: baseVersion, BaseDigest: baseDigest, StateDigest: c.StateDigest,
		UpdatedAt: next.UpdatedAt, IssuedAt: now.UTC(), NextUpdate: now.UTC().Add(interval), Checkpoint: string(ck),
		Changes: make([]DeltaChange, len(changes))}
	for i, ch := range changes {
		d.Changes[i] = DeltaChange{Kind: ch.Kind, ID: ch.ID, Object: ch.After}
	}
	return d
}

// SignDelta encodes d and signs it with k as a compact JWS (kid = k.ID, typ DeltaType).
func SignDelta(k *keys.Key, d *Delta) ([]byte, error) {
	payload, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encoding delta: %w", err)
	}
	return SignJWS(k, DeltaType, payload)
}

// VerifyDelta checks a signed delta and its checkpoint against pub and decodes them: the
// delta leads from one version to the next, and its checkpoint, signed by the same key, names
// its version and state digest. Whether it applies is for the holder of the base state to
// check (Index.ApplyDelta, then the digest).
func VerifyDelta(compact []byte, pub crypto.PublicKey) (*Delta, *Checkpoint, error) {
	if len(compact) > MaxDeltaBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrDelta, len(compact), MaxDeltaBytes)
	}
	payload, _, err := VerifyJWS(bytes.TrimSpace(compact), DeltaType, pub)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDelta, err)
	}
	var d Delta
	if err := json.Unmarshal(payload, &d); err != nil {
		return nil, nil, fmt.Errorf("%w: payload: %w", ErrDelta, err)
	}
	if d.Version != d.BaseVersion+1 || len(d.BaseDigest) != 64 || len(d.StateDigest) != 64 || d.IssuedAt.IsZero() || !d.NextUpdate.After(d.IssuedAt) {
		return nil, nil, fmt.Errorf("%w: missing versions, digests or times", ErrDelta)
	}
	c, err := VerifyCheckpoint([]byte(d.Checkpoint), pub)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDelta, err)
	}
	if c.Version != d.Version || c.StateDigest != d.StateDigest {
		return nil, nil, fmt.Errorf("%w: the checkpoint (version %d, digest %s) is not the delta's (version %d, digest %s)", ErrDelta, c.Version, c.StateDigest, d.Version, d.StateDigest)
	}
	return &d, &c, nil
}
