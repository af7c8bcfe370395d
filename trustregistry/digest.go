package trustregistry

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
)

// The state digest commits to the whole registry state at a version. Each object hashes as
// SHA-256(kind || 0x00 || id || 0x00 || canonical JSON), where the canonical JSON is
// encoding/json of the typed object (what change sets, history and snapshots carry); the state
// digest is the hex SHA-256 of the concatenated object hashes in (kind, id) byte order. An empty
// state digests to the SHA-256 of nothing.

// objectKey is the sort and map key of an object: kind, 0x00, id.
func objectKey(k Kind, id string) string { return string(k) + "\x00" + id }

func splitObjectKey(key string) (Kind, string) {
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			return Kind(key[:i]), key[i+1:]
		}
	}
	return Kind(key), ""
}

// ObjectHash returns the hash of one object given its canonical JSON.
func ObjectHash(k Kind, id string, canonical []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(k))
	h.Write([]byte{0})
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write(canonical)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Digest maintains the state digest incrementally: Update costs one object hash per changed
// object and Sum one SHA-256 pass over 32 bytes per object. A Digest is not safe for concurrent
// use.
type Digest struct {
	keys []string // sorted object keys
	sums map[string][32]byte
}

// NewDigest returns the digest of st.
func NewDigest(st *State) (*Digest, error) {
	d := &Digest{sums: map[string][32]byte{}}
	for _, k := range Kinds {
		for _, id := range st.IDs(k) {
			b, err := json.Marshal(st.Object(k, id))
			if err != nil {
				return nil, fmt.Errorf("encoding %s %q: %w", k, id, err)
			}
			d.sums[objectKey(k, id)] = ObjectHash(k, id, b)
		}
	}
	d.keys = slices.Sorted(mapKeysSeq(d.sums))
	return d, nil
}

// newDigestFromSums builds a digest from object hashes by object key.
func newDigestFromSums(sums map[string][32]byte) *Digest {
	return &Digest{sums: sums, keys: slices.Sorted(mapKeysSeq(sums))}
}

func mapKeysSeq[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Update applies changes (an After of nil removes the object). New objects are merged into the
// sorted keys in one pass, so a change set adding many objects costs O(n + k log k).
func (d *Digest) Update(changes []Change) {
	var added []string
	for _, ch := range changes {
		key := objectKey(ch.Kind, ch.ID)
		if ch.After == nil {
			if i, found := slices.BinarySearch(d.keys, key); found {
				d.keys = slices.Delete(d.keys, i, i+1)
				delete(d.sums, key)
			}
			continue
		}
		if _, ok := d.sums[key]; !ok {
			added = append(added, key)
		}
		d.sums[key] = ObjectHash(ch.Kind, ch.ID, ch.After)
	}
	d.insertKeys(added)
}

// Revert undoes Update(changes).
func (d *Digest) Revert(changes []Change) {
	inv := make([]Change, len(changes))
	for i, ch := range changes {
		inv[i] = Change{Kind: ch.Kind, ID: ch.ID, After: ch.Before}
	}
	d.Update(inv)
}

func (d *Digest) revert(changes []Change) { d.Revert(changes) }

// insertKeys merges keys absent from d.keys into it, keeping it sorted.
func (d *Digest) insertKeys(added []string) {
	switch {
	case len(added) == 0:
		return
	case len(added) <= 4:
		for _, k := range added {
			i, _ := slices.BinarySearch(d.keys, k)
			d.keys = slices.Insert(d.keys, i, k)
		}
		return
	}
	slices.Sort(added)
	d.keys = mergeSorted(d.keys, added)
}

// mergeSorted returns the sorted union of two sorted slices without common elements.
func mergeSorted(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] < b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// Sum returns the hex state digest.
func (d *Digest) Sum() string {
	h := sha256.New()
	for _, k := range d.keys {
		s := d.sums[k]
		h.Write(s[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// StateDigest returns the hex digest of st.
func StateDigest(st *State) (string, error) {
	d, err := NewDigest(st)
	if err != nil {
		return "", err
	}
	return d.Sum(), nil
}
