package trustregistry

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// secretCheckpoint names the stored checkpoint re-signed by a new registry key at rotation
// (audit records keep the checkpoint signed when they were applied).
const secretCheckpoint = "checkpoint"

// IntegrityError reports where the stored registry stops proving itself: a record of the audit
// chain (Record, 1-based) or an object of the state (Object, "kind/id"), or the checkpoint.
type IntegrityError struct {
	Record int
	Object string
	Reason string
}

// Error implements error.
func (e *IntegrityError) Error() string {
	switch {
	case e.Object != "":
		return fmt.Sprintf("object %s: %s", e.Object, e.Reason)
	case e.Record > 0:
		return fmt.Sprintf("audit record %d: %s", e.Record, e.Reason)
	}
	return e.Reason
}

// Unwrap returns ErrAuditBroken.
func (e *IntegrityError) Unwrap() error { return ErrAuditBroken }

// chainState is what replaying the audit chain yields: the hash of every object as the chain
// leaves it, the registry version that last changed it, and the head record.
type chainState struct {
	sums   map[string][32]byte
	revs   map[string]uint64
	head   *AuditRecord
	count  int
	digest *Digest
	// applied[v-1] is when version v was recorded.
	applied []time.Time
	// policies are the set_policy changes of the chain, in order.
	policies []policyChange
	// accounts maps each account the chain wrote to its audit view after the last write.
	accounts map[string]chainWrite
	// signed is the number of records that carry a checkpoint; bootstrapOnly says that every
	// record is an offline bootstrap (see unanchoredBootstrap).
	signed        int
	bootstrapOnly bool
	// proposals maps each proposal the chain wrote to its last lifecycle entry;
	// proposalsAudited says that the chain records the proposal lifecycle (proposalcheck.go).
	proposals        map[string]proposalWrite
	proposalsAudited bool
}

// chainWrite is what the audit chain last wrote of a stored record (the After of its last
// change) and the record that wrote it.
type chainWrite struct {
	after json.RawMessage
	seq   uint64
}

// unwrittenErr reports a stored record (object "kind/id") that no audit record wrote; verb says
// how the chain would have written it ("created", "filed").
func unwrittenErr(object, verb string) error {
	return &IntegrityError{Object: object, Reason: "stored but " + verb + " by no audit record (written behind the registry's back)"}
}

// alteredErr reports a stored record (object "kind/id", what it is) that differs from the one
// by (an audit record, see byRecord) last wrote; how says what was altered.
func alteredErr(object, what, by, how string) error {
	return &IntegrityError{Object: object, Reason: fmt.Sprintf("stored %s differs from the one %s wrote (%s behind the registry's back)", what, by, how)}
}

// byRecord names audit record seq as the writer of a record, for alteredErr.
func byRecord(seq uint64) string { return fmt.Sprintf("audit record %d", seq) }

// policyChange is a set_policy change of the audit chain and the record that holds it.
type policyChange struct {
	seq   uint64
	After json.RawMessage
}

// offlineBootstrap reports whether r is the record of an offline `idport admin bootstrap`:
// no proposal, no object changes, no checkpoint, only bootstrap_account operations.
func (r *AuditRecord) offlineBootstrap() bool {
	if r.ProposalID != "" || r.Proposer != "bootstrap" || len(r.Diff) != 0 || r.Checkpoint != "" || len(r.Governance) == 0 {
		return false
	}
	for _, g := range r.Governance {
		if g.Op != OpBootstrapAccount {
			return false
		}
	}
	return true
}

// replayChain streams the audit log of st, checks the hash chain and replays every diff: each
// change's before must be the object as the chain left it.
func replayChain(ctx context.Context, st Store) (*chainState, error) {
	head, err := st.Version(ctx)
	if err != nil {
		return nil, err
	}
	cs := &chainState{sums: map[string][32]byte{}, revs: map[string]uint64{}, accounts: map[string]chainWrite{},
		proposals: map[string]proposalWrite{}, bootstrapOnly: true}
	var v AuditVerifier
	var after uint64
	next := func(r AuditRecord) error {
		if err := v.Next(r); err != nil {
			var ae *AuditError
			if errors.As(err, &ae) {
				return &IntegrityError{Record: ae.Record, Reason: ae.Reason}
			}
			return err
		}
		for _, ch := range r.Diff {
			key := objectKey(ch.Kind, ch.ID)
			prev, had := cs.sums[key]
			if (ch.Before == nil) == had || (had && ObjectHash(ch.Kind, ch.ID, ch.Before) != prev) {
				return &IntegrityError{Record: v.Count(), Reason: fmt.Sprintf("%s/%s: the diff's before is not the object as the chain left it", ch.Kind, ch.ID)}
			}
			if ch.After == nil {
				delete(cs.sums, key)
			} else {
				cs.sums[key] = ObjectHash(ch.Kind, ch.ID, ch.After)
			}
			cs.revs[key] = r.Version
		}
		cs.applied = append(cs.applied, r.AppliedAt)
		for _, g := range r.Governance {
			if g.Op == OpSetPolicy {
				cs.policies = append(cs.policies, policyChange{seq: r.Seq, After: g.After})
			}
			if isAccountOp(g.Op) && g.After != nil {
				cs.accounts[g.Subject] = chainWrite{after: g.After, seq: r.Seq}
			}
		}
		if err := cs.replayProposals(&r); err != nil {
			return err
		}
		if r.Checkpoint != "" {
			cs.signed++
		}
		cs.bootstrapOnly = cs.bootstrapOnly && r.offlineBootstrap()
		rc := r
		cs.head = &rc
		return nil
	}
	for {
		recs, err := st.Audit(ctx, after, 1000)
		if err != nil {
			// Find the exact undecodable record by reading one at a time.
			for {
				one, err1 := st.Audit(ctx, after, 1)
				if err1 != nil || len(one) == 0 {
					return nil, &IntegrityError{Record: v.Count() + 1, Reason: err.Error()}
				}
				if err := next(one[0]); err != nil {
					return nil, err
				}
				after = one[0].Seq
			}
		}
		for _, r := range recs {
			if err := next(r); err != nil {
				return nil, err
			}
		}
		if len(recs) < 1000 {
			break
		}
		after = recs[len(recs)-1].Seq
	}
	if err := v.Finish(head); err != nil {
		var ae *AuditError
		errors.As(err, &ae)
		return nil, &IntegrityError{Record: ae.Record, Reason: ae.Reason}
	}
	cs.count = v.Count()
	cs.digest = newDigestFromSums(cs.sums)
	if cs.head != nil && cs.head.StateDigest != "" && cs.head.StateDigest != cs.digest.Sum() {
		return nil, &IntegrityError{Record: cs.count, Reason: "the state the chain replays to does not match the record's state digest"}
	}
	return cs, nil
}

// checkStoredState compares the stored current state with the state the chain replays to and
// names the first object that differs.
func checkStoredState(cur *State, cs *chainState) error {
	seen := 0
	for _, k := range Kinds {
		for _, id := range cur.IDs(k) {
			b, err := json.Marshal(cur.Object(k, id))
			if err != nil {
				return err
			}
			want, ok := cs.sums[objectKey(k, id)]
			if !ok {
				return unwrittenErr(string(k)+"/"+id, "created")
			}
			if ObjectHash(k, id, b) != want {
				return alteredErr(string(k)+"/"+id, "object", byRecord(cs.revs[objectKey(k, id)]), "altered")
			}
			seen++
		}
	}
	if seen != len(cs.sums) {
		for key := range cs.sums {
			k, id := splitObjectKey(key)
			if cur.Object(k, id) == nil {
				return &IntegrityError{Object: string(k) + "/" + id, Reason: fmt.Sprintf("written by audit record %d but missing from the stored state", cs.revs[key])}
			}
		}
	}
	return nil
}

// checkCheckpoint checks that one of the candidate signed checkpoints, verified with pub,
// covers the head of the chain.
func checkCheckpoint(cs *chainState, pub crypto.PublicKey, candidates ...[]byte) (*Checkpoint, []byte, error) {
	if cs.head == nil {
		return nil, nil, nil
	}
	digest := cs.digest.Sum()
	why := "carries no checkpoint signed by the registry key"
	for _, c := range candidates {
		if len(c) == 0 {
			continue
		}
		ck, err := VerifyCheckpoint(c, pub)
		if err != nil {
			why = "its checkpoint does not verify with the registry key: " + err.Error()
			continue
		}
		switch {
		case ck.Seq != cs.head.Seq || ck.Version != cs.head.Version:
			why = fmt.Sprintf("the signed checkpoint is of record %d", ck.Seq)
		case ck.RecordHash != cs.head.Hash:
			why = "its hash is not the one the registry signed (records rewritten and re-hashed)"
		case ck.StateDigest != digest:
			why = "the state it leaves is not the one the registry signed"
		default:
			return &ck, c, nil
		}
	}
	return nil, nil, &IntegrityError{Record: cs.count, Reason: why}
}

// verifiedChain is a chain that proved itself, with the checkpoint that covers its head, or
// with anchor set: a chain of offline bootstrap records only that no checkpoint covers yet.
type verifiedChain struct {
	*chainState
	ck     *Checkpoint
	ckJWS  []byte
	anchor bool
}

// unanchoredBootstrap reports whether the chain may be anchored by the registry's first
// signed checkpoint: it holds offline bootstrap records only (written without the registry key
// before the registry first started), and no signed checkpoint precedes them: no record
// carries one and none is stored. Any other record without a covering checkpoint, such as a
// bootstrap written after the registry signed a checkpoint, fails the check.
func (cs *chainState) unanchoredBootstrap(storedCheckpoint []byte) bool {
	return cs.head != nil && cs.bootstrapOnly && cs.signed == 0 && len(storedCheckpoint) == 0
}

// verifyIntegrity checks st: the hash chain, the stored state (cur, or loaded when nil) and the
// stored accounts against the chain, and, when pub is not nil, the head against the registry's signed
// checkpoint.
func verifyIntegrity(ctx context.Context, st Store, cur *State, pub crypto.PublicKey) (verifiedChain, error) {
	cs, err := replayChain(ctx, st)
	if err != nil {
		return verifiedChain{}, err
	}
	vc := verifiedChain{chainState: cs}
	if cur == nil {
		if cur, err = st.LoadState(ctx); err != nil {
			return vc, &IntegrityError{Reason: "loading the stored state: " + err.Error()}
		}
	}
	if err := checkStoredState(cur, cs); err != nil {
		return vc, err
	}
	if err := checkStoredAccounts(ctx, st, cs, pub); err != nil {
		return vc, err
	}
	if err := checkStoredProposals(ctx, st, cs); err != nil {
		return vc, err
	}
	if pub == nil {
		return vc, nil
	}
	blob, err := st.GetSecret(ctx, secretCheckpoint)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return vc, err
	}
	var own []byte
	if cs.head != nil {
		own = []byte(cs.head.Checkpoint)
	}
	vc.ck, vc.ckJWS, err = checkCheckpoint(cs, pub, own, blob)
	if err != nil && cs.unanchoredBootstrap(blob) {
		vc.anchor, err = true, nil
	}
	return vc, err
}

// CheckIntegrity checks a store offline: the audit hash chain, the stored state against the
// state the chain replays to, and, when pub (the registry's public key) is given, the chain head
// against the registry's signed checkpoint. A failed check is a report with OK false naming the
// record or object, not an error.
func CheckIntegrity(ctx context.Context, st Store, pub crypto.PublicKey) (AuditReport, error) {
	vc, err := verifyIntegrity(ctx, st, nil, pub)
	return integrityReport(ctx, st, vc, err)
}

func integrityReport(ctx context.Context, st Store, vc verifiedChain, err error) (AuditReport, error) {
	cs, ck := vc.chainState, vc.ck
	v, verr := st.Version(ctx)
	if verr != nil {
		return AuditReport{}, verr
	}
	r := AuditReport{OK: err == nil, Version: v, LastHash: GenesisHash}
	if cs != nil {
		r.Records, r.StateDigest = cs.count, cs.digest.Sum()
		if cs.head != nil {
			r.LastHash = cs.head.Hash
		}
	}
	if ck != nil {
		r.CheckpointSeq = ck.Seq
	}
	var ie *IntegrityError
	if errors.As(err, &ie) {
		r.BrokenAt, r.Object, r.Error = ie.Record, ie.Object, ie.Error()
		if r.Records == 0 && ie.Record > 0 {
			r.Records = ie.Record - 1
		}
		return r, nil
	}
	return r, err
}

// integrityErr is the error a registry whose store fails its check answers with.
func integrityErr(err error) error {
	return errs.Wrap(CodeStateIntegrity, "the registry's stored state does not prove itself against its audit chain and signed checkpoint: "+err.Error(), err)
}

// checkStateAt compares the state st rebuilt from the stored history for version v with the
// state digest the audit record of v committed to (the chain itself proved itself at start).
// The history is not checked at start (rebuilding every version would cost too much), so a
// difference found here means it was altered behind the registry's back: the registry stops
// serving, as it would had the start-up check found it.
func (s *Service) checkStateAt(ctx context.Context, v uint64, st *State) error {
	recs, err := s.store.Audit(ctx, v-1, 1) // record n leaves version n
	if err != nil {
		return err
	}
	if len(recs) == 0 || recs[0].Version != v || recs[0].StateDigest == "" {
		return nil // no record commits to that version's state (records of older releases)
	}
	got, err := StateDigest(st)
	if err != nil {
		return err
	}
	if got == recs[0].StateDigest {
		return nil
	}
	ie := &IntegrityError{Object: fmt.Sprintf("version/%d", v), Reason: fmt.Sprintf("the state the stored history rebuilds differs from the one audit record %d committed to (history altered behind the registry's back)", recs[0].Seq)}
	e := integrityErr(ie)
	s.broken.Store(&e)
	s.log.Error("the stored registry history does not prove itself; refusing to serve", "err", ie)
	return e
}
