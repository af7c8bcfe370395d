package trustregistry

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// overlayLimit is the size from which Next folds the overlay of changed identifiers into a new
// base map (at least this many, or 1/64 of the base).
const overlayLimit = 4096

// Next returns the index of next, the state that follows x's by changes (Apply or ApplyDelta),
// derived from x rather than rebuilt: the identifiers of changed authorities are overlaid on
// x's map (which is shared), the sorted id lists are merged, and the recognition maps are rebuilt
// only when a recognition or agreement changed. A changed scheme, whose pointer every authority
// entry of the scheme holds, rebuilds the whole index.
func (x *Index) Next(next *State, changes []Change) *Index {
	kinds := map[Kind]bool{}
	for _, ch := range changes {
		kinds[ch.Kind] = true
	}
	if kinds[KindScheme] || len(changes) > len(next.Authorities)/2 {
		return NewIndex(next)
	}
	n := &Index{state: next, entities: x.entities, over: x.over, overBits: x.overBits, byPair: x.byPair, byForeign: x.byForeign,
		frameworks: x.frameworks, ids: maps.Clone(x.ids)}
	for _, k := range Kinds {
		if kinds[k] {
			n.ids[k] = nextIDs(x.ids[k], x.state, next, k, changes)
		}
	}
	if kinds[KindAuthority] {
		n.overlayAuthorities(x.state, changes)
	}
	if kinds[KindRecognition] || kinds[KindAgreement] {
		n.indexRecognitions()
	}
	return n
}

// overlayAuthorities records the identifiers of the changed authorities in a new overlay:
// first hiding the identifiers of their previous revisions, then adding the current ones.
func (n *Index) overlayAuthorities(prev *State, changes []Change) {
	over := make(map[string]authEntry, len(n.over)+2*len(changes))
	maps.Copy(over, n.over)
	for _, ch := range changes {
		if a := prev.Authorities[ch.ID]; ch.Kind == KindAuthority && a != nil {
			for _, e := range identifiers(a) {
				over[e] = authEntry{}
			}
		}
	}
	for _, ch := range changes {
		if a := n.state.Authorities[ch.ID]; ch.Kind == KindAuthority && a != nil {
			e := authEntry{a: a, scheme: n.state.Schemes[a.Scheme]}
			for _, id := range identifiers(a) {
				over[id] = e
			}
		}
	}
	if len(over) < max(overlayLimit, len(n.entities)/64) {
		n.over, n.overBits = over, 0
		for id := range over {
			n.overBits |= overBit(id)
		}
		return
	}
	base := make(map[string]authEntry, len(n.entities)+len(over))
	maps.Copy(base, n.entities)
	for id, e := range over {
		if e.a == nil {
			delete(base, id)
		} else {
			base[id] = e
		}
	}
	n.entities, n.over, n.overBits = base, nil, 0
}

// overBit is the bit of an identifier in Index.overBits: a one-hash, 64-bit Bloom filter over
// the overlay's identifiers, from the length and two bytes (DIDs, thumbprints and domains
// differ in length, in the middle and near the end), so that it costs a few loads.
func overBit(id string) uint64 {
	n := len(id)
	if n == 0 {
		return 1
	}
	h := uint(n) ^ uint(id[n/2])*7 ^ uint(id[n-1-n/4])*13
	return 1 << (h & 63)
}

// nextIDs returns the sorted ids of kind k in next given the sorted ids of prev and the changes
// between them: ids shares prev's slice when no object of k was added or removed.
func nextIDs(ids []string, prev, next *State, k Kind, changes []Change) []string {
	var added []string
	removed := map[string]bool{}
	for _, ch := range changes {
		if ch.Kind != k {
			continue
		}
		was, is := prev.Object(k, ch.ID) != nil, next.Object(k, ch.ID) != nil
		switch {
		case is && !was:
			added = append(added, ch.ID)
		case was && !is:
			removed[ch.ID] = true
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return ids
	}
	out := ids
	if len(removed) > 0 {
		out = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return removed[id] })
	}
	slices.Sort(added)
	return mergeSorted(out, added)
}

// ApplyDelta returns the state d leads to from x's state, with the changes it made (Before and
// After in canonical JSON: the objects re-encoded after decoding, as the state digest hashes
// them). It checks the delta's base version and the resulting state's rules (validateChanged);
// the caller checks the state digest against the delta's checkpoint.
func (x *Index) ApplyDelta(d *Delta) (*State, []Change, error) {
	if d.BaseVersion != x.Version() || d.Version != d.BaseVersion+1 {
		return nil, nil, fmt.Errorf("%w: delta %d -> %d does not apply to version %d", ErrDelta, d.BaseVersion, d.Version, x.Version())
	}
	next := x.state.clone()
	next.Version, next.UpdatedAt = d.Version, d.UpdatedAt
	touched := map[Kind]map[string]bool{}
	changes := make([]Change, 0, len(d.Changes))
	for i, dc := range d.Changes {
		if !dc.Kind.Valid() || dc.ID == "" {
			return nil, nil, fmt.Errorf("%w: change %d: kind %q, id %q", ErrDelta, i, dc.Kind, dc.ID)
		}
		if touched[dc.Kind][dc.ID] {
			return nil, nil, fmt.Errorf("%w: change %d: %s %q changed twice", ErrDelta, i, dc.Kind, dc.ID)
		}
		if touched[dc.Kind] == nil {
			touched[dc.Kind] = map[string]bool{}
		}
		touched[dc.Kind][dc.ID] = true
		var raw []byte
		if len(dc.Object) > 0 && string(dc.Object) != "null" {
			raw = dc.Object
		}
		if err := next.SetObject(dc.Kind, dc.ID, raw); err != nil {
			return nil, nil, fmt.Errorf("%w: change %d: %w", ErrDelta, i, err)
		}
		ch := Change{Kind: dc.Kind, ID: dc.ID}
		var err error
		if o := x.state.Object(dc.Kind, dc.ID); o != nil {
			if ch.Before, err = json.Marshal(o); err != nil {
				return nil, nil, err
			}
		}
		if o := next.Object(dc.Kind, dc.ID); o != nil {
			if ch.After, err = json.Marshal(o); err != nil {
				return nil, nil, err
			}
			if objectID(dc.Kind, o) != dc.ID {
				return nil, nil, fmt.Errorf("%w: change %d: %s %q carries the object of id %q", ErrDelta, i, dc.Kind, dc.ID, objectID(dc.Kind, o))
			}
		}
		changes = append(changes, ch)
	}
	if err := x.validateChanged(next, touched); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDelta, err)
	}
	return next, changes, nil
}

// objectID returns the id an object carries itself.
func objectID(k Kind, o any) string {
	switch v := o.(type) {
	case *Jurisdiction:
		return v.Code
	case *Scheme:
		return v.ID
	case *Authority:
		return v.ID
	case *Agreement:
		return v.ID
	case *Recognition:
		return v.ID
	}
	return ""
}
