package issuer

import (
	"sync"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/statuslist"
)

// ListSize is the number of entries of every status list (the W3C minimum, 16 KiB of bits).
const ListSize = statuslist.MinEntries

// fillLimit is how full a set gets before allocation moves to a new set; random picks then
// need at most ~8 tries on average.
const fillLimit = ListSize / 8 * 7

// statusSet is one index space in memory: which indexes were handed out, and their states.
type statusSet struct {
	alloc   []uint64 // bitmap of allocated indexes
	n       int      // allocated count
	states  []State  // state per index
	version uint64   // bumped by every state change
}

func newStatusSet() *statusSet {
	return &statusSet{alloc: make([]uint64, ListSize/64), states: make([]State, ListSize)}
}

func (s *statusSet) allocated(i uint32) bool { return s.alloc[i/64]&(1<<(i%64)) != 0 }

func (s *statusSet) mark(i uint32) {
	if !s.allocated(i) {
		s.alloc[i/64] |= 1 << (i % 64)
		s.n++
	}
}

// statusTable allocates random, never reused status indexes and keeps every entry's state.
// Allocation is in memory and marks the index at once, so an index is never given twice in
// one process; the caller makes it durable (Store.Record) before handing the credential out.
// After a crash, indexes allocated but never recorded may be allocated again: they were
// never handed out.
type statusTable struct {
	mu      sync.Mutex
	sets    map[uint32]*statusSet
	cur     uint32 // set being allocated from
	base    uint32 // first set of the current generation: allocation never goes below it
	maxSets uint32 // per generation; 0 = GenerationSets
	// reloading is non-nil while a reload (Issuer.Refresh) reads the store: it holds the
	// entries changed here meanwhile, which the read may predate, so that the reload leaves
	// them alone (see refresh). A change made before the reload started is in the store
	// already (set follows the store write), so the read sees it.
	reloading map[StatusRef]bool
}

func newStatusTable(maxSets uint32) *statusTable {
	if maxSets == 0 || maxSets > GenerationSets {
		maxSets = GenerationSets
	}
	return &statusTable{sets: map[uint32]*statusSet{}, maxSets: maxSets, base: 1}
}

// setGeneration makes allocation use only the sets of generation gen (startup).
func (t *statusTable) setGeneration(gen uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.base, t.cur = firstSet(gen), 0
}

// load adds a recorded entry (startup).
func (t *statusTable) load(ref StatusRef, st State) error {
	if ref.Set == 0 || ref.Index >= ListSize {
		return errs.Errorf(CodeStore, "store failed: stored status entry %d/%d out of range", ref.Set, ref.Index)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sets[ref.Set]
	if s == nil {
		s = newStatusSet()
		t.sets[ref.Set] = s
	}
	s.mark(ref.Index)
	s.states[ref.Index] = st
	return nil
}

// allocate picks a random free index.
func (t *statusTable) allocate() (StatusRef, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sets[t.cur]
	if s == nil || s.n >= fillLimit {
		// Move to the lowest set of the generation with room, or open a new one.
		t.cur = 0
		for n := t.base; ; n++ {
			if n-t.base >= t.maxSets {
				return StatusRef{}, errs.Errorf(CodeStatusExhausted, "no status index left: all %d status lists from %d on are full", t.maxSets, t.base)
			}
			cand := t.sets[n]
			if cand == nil {
				cand = newStatusSet()
				t.sets[n] = cand
			}
			if cand.n < fillLimit {
				t.cur, s = n, cand
				break
			}
		}
	}
	i, err := statuslist.PickIndex(ListSize, func(i int) bool { return s.allocated(uint32(i)) })
	if err != nil {
		return StatusRef{}, errs.Errorf(CodeStatusExhausted, "no status index left: set %d: %v", t.cur, err)
	}
	s.mark(uint32(i))
	return StatusRef{Set: t.cur, Index: uint32(i)}, nil
}

// state returns the state of an allocated entry.
func (t *statusTable) state(ref StatusRef) (State, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sets[ref.Set]
	if s == nil || ref.Index >= ListSize || !s.allocated(ref.Index) {
		return 0, false
	}
	return s.states[ref.Index], true
}

// set changes the state in memory (after the store made it durable).
func (t *statusTable) set(ref StatusRef, st State) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sets[ref.Set]
	if s == nil {
		return
	}
	if t.reloading != nil {
		t.reloading[ref] = true
	}
	if s.states[ref.Index] != st {
		s.states[ref.Index] = st
		s.version++
	}
}

// snapshot copies the states of a set, with its version; ok is false for an unknown set.
func (t *statusTable) snapshot(set uint32, version uint64, have bool) (states []State, v uint64, ok, changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sets[set]
	if s == nil {
		return nil, 0, false, false
	}
	if have && s.version == version {
		return nil, s.version, true, false
	}
	return append([]State(nil), s.states...), s.version, true, true
}

// setVersion returns the version of a set (ok false when unknown).
func (t *statusTable) setVersion(set uint32) (uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sets[set]
	if s == nil {
		return 0, false
	}
	return s.version, true
}

// setNumbers lists the sets in use.
func (t *statusTable) setNumbers() []uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]uint32, 0, len(t.sets))
	for n := range t.sets {
		out = append(out, n)
	}
	return out
}
