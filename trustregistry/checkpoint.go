package trustregistry

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"time"

	"github.com/idport/idport/pkg/keys"
)

// CheckpointType is the JWS typ header of signed checkpoints.
const CheckpointType = "idport-registry-checkpoint+jwt"

// Checkpoint is the registry's signed statement of the head of its audit chain: record Seq with
// hash RecordHash leaves the registry at Version with state digest StateDigest (see Digest).
// The registry signs one with its registry key after every applied change, keeps it with the
// audit record, and ships the latest in every snapshot.
type Checkpoint struct {
	Issuer      string    `json:"iss"`
	Seq         uint64    `json:"seq"`
	RecordHash  string    `json:"record_hash"`
	StateDigest string    `json:"state_digest"`
	Version     uint64    `json:"version"`
	IssuedAt    time.Time `json:"issued_at"`
}

// SignCheckpoint signs c with k as a compact JWS (typ CheckpointType).
func SignCheckpoint(k *keys.Key, c Checkpoint) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding checkpoint: %w", err)
	}
	return SignJWS(k, CheckpointType, b)
}

// VerifyCheckpoint checks a signed checkpoint against pub and decodes it.
func VerifyCheckpoint(compact []byte, pub crypto.PublicKey) (Checkpoint, error) {
	var c Checkpoint
	payload, _, err := VerifyJWS(bytes.TrimSpace(compact), CheckpointType, pub)
	if err != nil {
		return c, fmt.Errorf("checkpoint: %w", err)
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, fmt.Errorf("%w: checkpoint payload: %w", ErrSnapshot, err)
	}
	if c.Seq == 0 || c.Seq != c.Version || len(c.RecordHash) != 64 || len(c.StateDigest) != 64 {
		return c, fmt.Errorf("%w: checkpoint lacks sequence, record hash or state digest", ErrSnapshot)
	}
	return c, nil
}

// CheckSnapshotState checks that a verified snapshot's state is the state its checkpoint
// commits to: the checkpoint is signed by pub (the key that signed the snapshot), names the
// snapshot's version and carries the digest of its state. A snapshot of the empty registry
// (version 0) has no checkpoint.
func CheckSnapshotState(s *Snapshot, pub crypto.PublicKey) (*Checkpoint, error) {
	c, _, err := CheckSnapshotDigest(s, pub)
	return c, err
}

// CheckSnapshotDigest is CheckSnapshotState that also returns the digest of the snapshot's
// state, for a holder that follows deltas from it (Digest.Update).
func CheckSnapshotDigest(s *Snapshot, pub crypto.PublicKey) (*Checkpoint, *Digest, error) {
	if s.Version == 0 && len(s.Checkpoint) == 0 {
		d, err := NewDigest(s.State)
		return nil, d, err
	}
	if len(s.Checkpoint) == 0 {
		return nil, nil, fmt.Errorf("%w: snapshot of version %d carries no checkpoint", ErrSnapshot, s.Version)
	}
	c, err := VerifyCheckpoint([]byte(s.Checkpoint), pub)
	if err != nil {
		return nil, nil, err
	}
	if c.Version != s.Version {
		return nil, nil, fmt.Errorf("%w: checkpoint of version %d in a snapshot of version %d", ErrSnapshot, c.Version, s.Version)
	}
	dg, err := NewDigest(s.State)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	if d := dg.Sum(); d != c.StateDigest {
		return nil, nil, fmt.Errorf("%w: the snapshot's state (digest %s) is not the state the checkpoint signs (digest %s)", ErrSnapshot, d, c.StateDigest)
	}
	return &c, dg, nil
}

// VerifySnapshotCheckpoint verifies a snapshot JWS against pub, then its checkpoint against the
// snapshot's state (CheckSnapshotState). It is what a foreign regulator runs offline.
func VerifySnapshotCheckpoint(compact []byte, pub crypto.PublicKey) (*Snapshot, *Checkpoint, error) {
	s, err := VerifySnapshot(compact, pub)
	if err != nil {
		return nil, nil, err
	}
	c, err := CheckSnapshotState(s, pub)
	if err != nil {
		return s, nil, err
	}
	return s, c, nil
}

// NewCheckpoint returns the checkpoint of st at its version, whose audit record has hash
// recordHash: what a registry signs (SignCheckpoint) and puts in the snapshot of st.
func NewCheckpoint(issuer string, st *State, recordHash string, at time.Time) (Checkpoint, error) {
	d, err := StateDigest(st)
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{Issuer: issuer, Seq: st.Version, RecordHash: recordHash, StateDigest: d, Version: st.Version, IssuedAt: at.UTC()}, nil
}
