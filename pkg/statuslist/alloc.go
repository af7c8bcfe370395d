package statuslist

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
)

// randomTries is how many random draws PickIndex makes before it scans.
const randomTries = 64

// PickIndex returns an index in [0, size) for which used reports false,
// chosen uniformly at random with crypto/rand while the list is not nearly
// full; after 64 draws that all hit used indexes it scans forward from a
// random start, so a nearly full list still yields its last free indexes.
// It returns ErrListFull when every index is used. PickIndex does not
// remember anything: the caller records the index as used (durably, before
// handing it out) so that it is never reused.
func PickIndex(size int, used func(i int) bool) (int, error) {
	if size <= 0 {
		return 0, fmt.Errorf("statuslist: list size %d", size)
	}
	for range randomTries {
		i, err := randomBelow(size)
		if err != nil {
			return 0, err
		}
		if !used(i) {
			return i, nil
		}
	}
	start, err := randomBelow(size)
	if err != nil {
		return 0, err
	}
	for k := range size {
		i := (start + k) % size
		if !used(i) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w: all %d indexes used", ErrListFull, size)
}

// randomBelow returns a uniform random integer in [0, n) from crypto/rand.
func randomBelow(n int) (int, error) {
	limit := math.MaxUint64 - math.MaxUint64%uint64(n)
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("statuslist: crypto/rand: %w", err)
		}
		if v := binary.LittleEndian.Uint64(b[:]); v < limit {
			return int(v % uint64(n)), nil
		}
	}
}

// IndexSet records which indexes of one list have been handed out: a bitmap
// the issuer can persist with Bytes and restore with IndexSetFromBytes. It is
// not safe for concurrent use.
type IndexSet struct {
	size  int
	bits  []byte
	count int
}

// NewIndexSet returns an empty set for a list of size entries.
func NewIndexSet(size int) *IndexSet {
	return &IndexSet{size: size, bits: make([]byte, (size+7)/8)}
}

// IndexSetFromBytes restores a set saved with Bytes.
func IndexSetFromBytes(size int, b []byte) (*IndexSet, error) {
	if size < 0 || len(b) != (size+7)/8 {
		return nil, fmt.Errorf("statuslist: index set of %d bytes for %d entries", len(b), size)
	}
	s := &IndexSet{size: size, bits: append([]byte(nil), b...)}
	for i := range size {
		if s.Has(i) {
			s.count++
		}
	}
	return s, nil
}

// Has reports whether i has been handed out.
func (s *IndexSet) Has(i int) bool {
	return i >= 0 && i < s.size && s.bits[i>>3]&(1<<(i&7)) != 0
}

// Add records i as handed out; it reports false if it already was.
func (s *IndexSet) Add(i int) bool {
	if i < 0 || i >= s.size || s.Has(i) {
		return false
	}
	s.bits[i>>3] |= 1 << (i & 7)
	s.count++
	return true
}

// Len returns the number of indexes handed out.
func (s *IndexSet) Len() int { return s.count }

// Size returns the number of entries of the list.
func (s *IndexSet) Size() int { return s.size }

// Bytes returns a copy of the bitmap, for persistence.
func (s *IndexSet) Bytes() []byte { return append([]byte(nil), s.bits...) }

// Allocate picks a random unused index with PickIndex and records it.
func (s *IndexSet) Allocate() (int, error) {
	if s.count >= s.size {
		return 0, fmt.Errorf("%w: all %d indexes used", ErrListFull, s.size)
	}
	i, err := PickIndex(s.size, s.Has)
	if err != nil {
		return 0, err
	}
	s.Add(i)
	return i, nil
}
