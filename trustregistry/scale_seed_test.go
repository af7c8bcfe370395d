package trustregistry

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/idport/idport/pkg/keys"
)

// LargeSyntheticState is SyntheticState(n, nSchemes, effective) built directly: the schemes,
// recognitions and the first authorities through Apply, the other authorities as copies of the
// first one with their own id, scheme and DID (what Apply would have made of their upsert
// operations). A million authorities take seconds this way, not the minutes of n/MaxOps
// change sets.
func LargeSyntheticState(n, nSchemes int, effective time.Time) (*State, error) {
	small := min(n, 1000)
	st, err := SyntheticState(small, nSchemes, effective)
	if err != nil {
		return nil, err
	}
	first := st.Authorities["authority-0"]
	for i := small; i < n; i++ {
		a := *first
		a.ID = fmt.Sprintf("authority-%d", i)
		a.Scheme = fmt.Sprintf("scheme-%d", 1+i%max(1, nSchemes-1))
		a.DIDs = []string{fmt.Sprintf("did:web:authority-%d.example", i)}
		st.Authorities[a.ID] = &a
	}
	return st, nil
}

// SeedStore writes st's objects into an empty store as audit-chained commits of at most MaxOps
// objects each, the last one carrying the state digest and a checkpoint signed with a new
// registry key, which it seals with keySecret and stores: a registry started on the store (with
// that secret and issuer) opens it as if it had applied those commits, and signs its snapshot.
func SeedStore(ctx context.Context, store Store, st *State, keySecret []byte, issuer string) error {
	sealer, err := keys.NewSealer(keySecret)
	if err != nil {
		return err
	}
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		return err
	}
	sealed, err := sealer.SealKey(k)
	if err != nil {
		return err
	}
	if err := store.PutSecret(ctx, secretCurrentKey, sealed); err != nil {
		return err
	}
	var all []Change
	for _, kind := range Kinds {
		for _, id := range st.IDs(kind) {
			b, err := json.Marshal(st.Object(kind, id))
			if err != nil {
				return err
			}
			all = append(all, Change{Kind: kind, ID: id, After: b})
		}
	}
	d, err := NewDigest(NewState())
	if err != nil {
		return err
	}
	d.Update(all)
	var prev *AuditRecord
	now := time.Now().UTC()
	for start := 0; start < len(all); start += MaxOps {
		changes := all[start:min(start+MaxOps, len(all))]
		v := uint64(start/MaxOps + 1)
		rec := AuditRecord{Version: v, Diff: changes, Proposer: "seed", ProposedAt: now, AppliedAt: now, Reason: "synthetic state"}
		last := start+MaxOps >= len(all)
		if last {
			rec.StateDigest = d.Sum()
		}
		if err := Chain(prev, &rec); err != nil {
			return err
		}
		if last {
			ck, err := SignCheckpoint(k, Checkpoint{Issuer: issuer, Seq: rec.Seq, RecordHash: rec.Hash, StateDigest: rec.StateDigest, Version: v, IssuedAt: now})
			if err != nil {
				return err
			}
			rec.Checkpoint = string(ck)
		}
		got, err := store.Apply(ctx, Commit{BaseVersion: v - 1, RecordedAt: now, Changes: changes, Audit: rec})
		if err != nil {
			return fmt.Errorf("seeding version %d: %w", v, err)
		}
		if got.Hash != rec.Hash {
			return fmt.Errorf("seeding version %d: the store chained the record differently", v)
		}
		prev = &got
	}
	return nil
}
