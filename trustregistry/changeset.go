package trustregistry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// OpKind names a change-set operation.
type OpKind string

// Operations of a change set.
const (
	OpUpsertJurisdiction   OpKind = "upsert_jurisdiction"
	OpUpsertScheme         OpKind = "upsert_scheme"
	OpUpsertAuthority      OpKind = "upsert_authority"
	OpUpsertAgreement      OpKind = "upsert_agreement"
	OpUpsertRecognition    OpKind = "upsert_recognition"
	OpSetAuthorityStatus   OpKind = "set_authority_status"
	OpSetRecognitionStatus OpKind = "set_recognition_status"
)

// MaxOps bounds the size of one change set.
const MaxOps = 10000

// Op is one operation of a change set. Upserts carry the object; status operations carry ID,
// Status, Reason and EffectiveAt (default: the time of application; may be back-dated).
type Op struct {
	Op           OpKind        `json:"op"`
	Jurisdiction *Jurisdiction `json:"jurisdiction,omitempty"`
	Scheme       *Scheme       `json:"scheme,omitempty"`
	Authority    *Authority    `json:"authority,omitempty"`
	Agreement    *Agreement    `json:"agreement,omitempty"`
	Recognition  *Recognition  `json:"recognition,omitempty"`
	ID           string        `json:"id,omitempty"`
	Status       Status        `json:"status,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	EffectiveAt  *time.Time    `json:"effective_at,omitempty"`
}

// ChangeSet is an ordered list of operations applied all together or not at all.
type ChangeSet struct {
	Ops []Op `json:"ops"`
}

// Change is the effect of a change set on one object: its JSON before (nil when created) and
// after. The list of changes is the diff recorded in history and audit.
type Change struct {
	Kind   Kind            `json:"kind"`
	ID     string          `json:"id"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after"`
}

// Revision is one version of one object in the history: recorded at RecordedAt by Version.
type Revision struct {
	Kind       Kind            `json:"kind"`
	ID         string          `json:"id"`
	Version    uint64          `json:"version"`
	RecordedAt time.Time       `json:"recorded_at"`
	Object     json.RawMessage `json:"object"`
}

// Apply applies cs to prev as registry version prev.Version+1 recorded at now, and returns the
// new state with the list of changed objects. prev is not modified. Any invalid operation or an
// invalid resulting state fails the whole change set with a *ValidationError.
func Apply(prev *State, cs ChangeSet, now time.Time) (*State, []Change, error) {
	if len(cs.Ops) == 0 {
		return nil, nil, verr(ErrInvalid, "ops", "a change set needs at least one operation")
	}
	if len(cs.Ops) > MaxOps {
		return nil, nil, verr(ErrInvalid, "ops", "a change set has at most %d operations", MaxOps)
	}
	now = now.UTC()
	next := prev.clone()
	next.Version = prev.Version + 1
	next.UpdatedAt = now
	touched := map[Kind]map[string]bool{}
	touch := func(k Kind, id string) {
		if touched[k] == nil {
			touched[k] = map[string]bool{}
		}
		touched[k][id] = true
	}
	for i, op := range cs.Ops {
		if err := applyOp(next, i, op, now); err != nil {
			return nil, nil, err
		}
		k, id := op.target()
		touch(k, id)
	}
	if err := ValidateState(next); err != nil {
		return nil, nil, err
	}
	var changes []Change
	for _, k := range Kinds {
		for _, id := range mapKeys(touched[k]) {
			after, err := json.Marshal(next.Object(k, id))
			if err != nil {
				return nil, nil, fmt.Errorf("encoding %s %q: %w", k, id, err)
			}
			var before json.RawMessage
			if o := prev.Object(k, id); o != nil {
				if before, err = json.Marshal(o); err != nil {
					return nil, nil, fmt.Errorf("encoding %s %q: %w", k, id, err)
				}
			}
			if bytes.Equal(before, after) {
				continue
			}
			changes = append(changes, Change{Kind: k, ID: id, Before: before, After: after})
		}
	}
	if len(changes) == 0 {
		return nil, nil, verr(ErrInvalid, "ops", "the change set changes nothing")
	}
	return next, changes, nil
}

func (op *Op) target() (Kind, string) {
	switch op.Op {
	case OpUpsertJurisdiction:
		return KindJurisdiction, op.Jurisdiction.Code
	case OpUpsertScheme:
		return KindScheme, op.Scheme.ID
	case OpUpsertAuthority:
		return KindAuthority, op.Authority.ID
	case OpUpsertAgreement:
		return KindAgreement, op.Agreement.ID
	case OpUpsertRecognition:
		return KindRecognition, op.Recognition.ID
	case OpSetAuthorityStatus:
		return KindAuthority, op.ID
	case OpSetRecognitionStatus:
		return KindRecognition, op.ID
	}
	return "", ""
}

func applyOp(s *State, i int, op Op, now time.Time) error {
	eff := now
	if op.EffectiveAt != nil {
		eff = op.EffectiveAt.UTC()
	}
	need := func(ok bool, field string) error {
		if !ok {
			return invalidf(i, string(op.Op), "operation %s needs %q", op.Op, field)
		}
		return nil
	}
	switch op.Op {
	case OpUpsertJurisdiction:
		if err := need(op.Jurisdiction != nil, "jurisdiction"); err != nil {
			return err
		}
		j := *op.Jurisdiction
		if err := j.validate(i); err != nil {
			return err
		}
		s.Jurisdictions[j.Code] = &j
	case OpUpsertScheme:
		if err := need(op.Scheme != nil, "scheme"); err != nil {
			return err
		}
		sc := *op.Scheme
		sc.AssuranceLevels = slices.Clone(sc.AssuranceLevels)
		if err := sc.validate(i); err != nil {
			return err
		}
		s.Schemes[sc.ID] = &sc
	case OpUpsertAuthority:
		if err := need(op.Authority != nil, "authority"); err != nil {
			return err
		}
		a := cloneAuthority(op.Authority)
		if len(a.Statuses) > 0 {
			return invalidf(i, "authority.statuses", "statuses are changed by set_authority_status, not by upsert")
		}
		if err := a.validate(i); err != nil {
			return err
		}
		if old, ok := s.Authorities[a.ID]; ok {
			a.Statuses = old.Statuses
		} else {
			a.Statuses = []StatusChange{{Status: StatusActive, EffectiveAt: eff, RecordedAt: now, Version: s.Version}}
		}
		s.Authorities[a.ID] = a
	case OpUpsertAgreement:
		if err := need(op.Agreement != nil, "agreement"); err != nil {
			return err
		}
		g := *op.Agreement
		g.Parties = slices.Clone(g.Parties)
		if err := g.validate(i); err != nil {
			return err
		}
		s.Agreements[g.ID] = &g
	case OpUpsertRecognition:
		if err := need(op.Recognition != nil, "recognition"); err != nil {
			return err
		}
		r := cloneRecognition(op.Recognition)
		if len(r.Statuses) > 0 {
			return invalidf(i, "recognition.statuses", "statuses are changed by set_recognition_status, not by upsert")
		}
		if err := r.validate(i); err != nil {
			return err
		}
		if old, ok := s.Recognitions[r.ID]; ok {
			r.Statuses = old.Statuses
		} else {
			if op.EffectiveAt == nil {
				eff = r.ValidFrom
			}
			r.Statuses = []StatusChange{{Status: StatusActive, EffectiveAt: eff, RecordedAt: now, Version: s.Version}}
		}
		s.Recognitions[r.ID] = r
	case OpSetAuthorityStatus, OpSetRecognitionStatus:
		if !op.Status.Valid() {
			return invalidf(i, "status", "status %q is not active, suspended or revoked", op.Status)
		}
		if op.Status != StatusActive && op.Reason == "" {
			return invalidf(i, "reason", "a reason is required to %s", op.Status)
		}
		var tl []StatusChange
		if op.Op == OpSetAuthorityStatus {
			a, ok := s.Authorities[op.ID]
			if !ok {
				return verr(ErrUnknownReference, fmt.Sprintf("ops[%d].id", i), "unknown authority %q", op.ID)
			}
			tl = a.Statuses
		} else {
			r, ok := s.Recognitions[op.ID]
			if !ok {
				return verr(ErrUnknownReference, fmt.Sprintf("ops[%d].id", i), "unknown recognition %q", op.ID)
			}
			tl = r.Statuses
		}
		if revoked(tl) {
			return verr(ErrTransition, fmt.Sprintf("ops[%d].status", i), "%q is revoked; revocation is final", op.ID)
		}
		tl = append(slices.Clone(tl), StatusChange{Status: op.Status, Reason: op.Reason, EffectiveAt: eff, RecordedAt: now, Version: s.Version})
		if op.Op == OpSetAuthorityStatus {
			a := cloneAuthority(s.Authorities[op.ID])
			a.Statuses = tl
			s.Authorities[op.ID] = a
		} else {
			r := cloneRecognition(s.Recognitions[op.ID])
			r.Statuses = tl
			s.Recognitions[op.ID] = r
		}
	default:
		return invalidf(i, "op", "unknown operation %q", op.Op)
	}
	return nil
}

func cloneAuthority(a *Authority) *Authority {
	c := *a
	c.DIDs = slices.Clone(a.DIDs)
	c.Keys = slices.Clone(a.Keys)
	c.CredentialTypes = slices.Clone(a.CredentialTypes)
	c.Statuses = slices.Clone(a.Statuses)
	return &c
}

func cloneRecognition(r *Recognition) *Recognition {
	c := *r
	c.CredentialTypes = slices.Clone(r.CredentialTypes)
	c.AllowedClaims = slices.Clone(r.AllowedClaims)
	c.AssuranceMapping = cloneMap(r.AssuranceMapping)
	c.ClaimMapping = cloneMap(r.ClaimMapping)
	c.Statuses = slices.Clone(r.Statuses)
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// StateFromRevisions rebuilds the state as it was at registry version v from history revisions
// (any order): for each object, its latest revision with Version <= v.
func StateFromRevisions(revs []Revision, v uint64) (*State, error) {
	latest := map[Kind]map[string]*Revision{}
	var recorded time.Time
	for i := range revs {
		r := &revs[i]
		if r.Version > v {
			continue
		}
		if latest[r.Kind] == nil {
			latest[r.Kind] = map[string]*Revision{}
		}
		if cur, ok := latest[r.Kind][r.ID]; !ok || r.Version > cur.Version {
			latest[r.Kind][r.ID] = r
		}
		if r.Version == v {
			recorded = r.RecordedAt
		}
	}
	s := NewState()
	s.Version, s.UpdatedAt = v, recorded
	for k, m := range latest {
		for id, r := range m {
			if err := s.SetObject(k, id, r.Object); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}
