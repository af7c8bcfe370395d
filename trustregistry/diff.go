package trustregistry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Field change kinds.
const (
	FieldAdded   = "added"
	FieldRemoved = "removed"
	FieldChanged = "changed"
)

// FieldChange is one field-level difference a change set makes to one object. Path is the JSON
// path in the object ("dids", "keys[0].thumbprint"); lists of plain values are compared as sets,
// so an added DID is one "added" entry whose After is the DID, and a list whose values only
// changed order (a scheme's ordered assurance levels) is one "changed" entry with both lists.
type FieldChange struct {
	Kind   Kind            `json:"kind"`
	ID     string          `json:"id"`
	Path   string          `json:"path"`
	Change string          `json:"change"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// ProposalDetail is a proposal with what it changes: the field-level diff of registry objects
// against the current state (pending) or as applied, and, for a pending proposal, why it is
// stale or cannot apply (its registry or governance operations). Governance operations are
// read from the change set itself.
type ProposalDetail struct {
	Proposal
	Changes []FieldChange `json:"changes"`
	// Stale says which object changed since the proposal was made ("" when none did).
	Stale string `json:"stale,omitempty"`
	// DiffError says why a pending change set does not apply to the current state.
	DiffError string `json:"diff_error,omitempty"`
	// PasskeyResets are the passkeys its reset_account_passkeys operations remove (pending,
	// against the accounts as they are) or removed (applied).
	PasskeyResets []PasskeyReset `json:"passkey_resets,omitempty"`
}

// DiffChanges returns the field-level differences of object changes.
func DiffChanges(changes []Change) ([]FieldChange, error) {
	out := []FieldChange{}
	for _, ch := range changes {
		var before, after any
		if ch.Before != nil {
			if err := decodeAny(ch.Before, &before); err != nil {
				return nil, fmt.Errorf("%s %q: %w", ch.Kind, ch.ID, err)
			}
		} else {
			before = map[string]any{}
		}
		if ch.After != nil {
			if err := decodeAny(ch.After, &after); err != nil {
				return nil, fmt.Errorf("%s %q: %w", ch.Kind, ch.ID, err)
			}
		} else {
			after = map[string]any{}
		}
		diffValue(ch.Kind, ch.ID, "", before, after, &out)
	}
	return out, nil
}

func decodeAny(b []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

func diffValue(k Kind, id, path string, a, b any, out *[]FieldChange) {
	add := func(p, change string, before, after any) {
		fc := FieldChange{Kind: k, ID: id, Path: p, Change: change}
		if before != nil {
			fc.Before = raw(before)
		}
		if after != nil {
			fc.After = raw(after)
		}
		*out = append(*out, fc)
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := slices.Sorted(mapKeysSeq(am))
		for key := range bm {
			if _, ok := am[key]; !ok {
				keys = append(keys, key)
			}
		}
		slices.Sort(keys)
		for _, key := range keys {
			av, ina := am[key]
			bv, inb := bm[key]
			switch {
			case !inb:
				add(joinPath(path, key), FieldRemoved, av, nil)
			case !ina:
				add(joinPath(path, key), FieldAdded, nil, bv)
			default:
				diffValue(k, id, joinPath(path, key), av, bv, out)
			}
		}
		return
	}
	al, alok := a.([]any)
	bl, blok := b.([]any)
	if alok && blok {
		if scalars(al) && scalars(bl) {
			n := len(*out)
			for _, v := range al {
				if !containsValue(bl, v) {
					add(path, FieldRemoved, v, nil)
				}
			}
			for _, v := range bl {
				if !containsValue(al, v) {
					add(path, FieldAdded, nil, v)
				}
			}
			if len(*out) == n && !reflect.DeepEqual(al, bl) {
				// Same values in another order (or repeated): some lists are ordered, such as
				// a scheme's assurance levels, lowest first.
				add(path, FieldChanged, al, bl)
			}
			return
		}
		for i := 0; i < max(len(al), len(bl)); i++ {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case i >= len(bl):
				add(p, FieldRemoved, al[i], nil)
			case i >= len(al):
				add(p, FieldAdded, nil, bl[i])
			default:
				diffValue(k, id, p, al[i], bl[i], out)
			}
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		add(path, FieldChanged, a, b)
	}
}

func scalars(l []any) bool {
	for _, v := range l {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func containsValue(l []any, v any) bool {
	return slices.ContainsFunc(l, func(x any) bool { return reflect.DeepEqual(x, v) })
}

// ProposalDetail returns a proposal with its field-level diff: for a pending proposal against
// the current state (and whether it is stale), for an applied one as its audit record wrote it.
func (s *Service) ProposalDetail(ctx context.Context, id string) (*ProposalDetail, error) {
	p, err := s.store.GetProposal(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &ProposalDetail{Proposal: *p, Changes: []FieldChange{}}
	var changes []Change
	switch p.Status {
	case ProposalPending:
		s.mu.Lock()
		cur := s.idx.Load().State()
		d.Stale = s.objRev.staleReason(p, cur.Version)
		s.mu.Unlock()
		_, ch, err := Apply(cur, p.ChangeSet, s.now())
		var plan *govPlan
		if err == nil {
			plan, err = s.planGovernance(ctx, p.ChangeSet, s.now().UTC(), p.Proposer, nil)
		}
		if err != nil {
			d.DiffError = strings.TrimSpace(err.Error())
			return d, nil
		}
		changes, d.PasskeyResets = ch, passkeyResets(p.ChangeSet, plan.changes)
	case ProposalApplied:
		recs, err := s.store.Audit(ctx, p.AppliedVersion-1, 1)
		if err != nil {
			return nil, err
		}
		if len(recs) == 1 && recs[0].ProposalID == p.ID {
			changes, d.PasskeyResets = recs[0].Diff, passkeyResets(p.ChangeSet, recs[0].Governance)
		}
	}
	if d.Changes, err = DiffChanges(changes); err != nil {
		return nil, err
	}
	return d, nil
}
