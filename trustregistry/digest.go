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

// Update applies changes (an After of nil removes the object).
func (d *Digest) Update(changes []Change) {
	for _, ch := range changes {
		d.set(ch.Kind, ch.ID, ch.After)
	}
}

// revert undoes Update(changes).
func (d *Digest) revert(changes []Change) {
	for i := len(changes) - 1; i >= 0; i-- {
		d.set(changes[i].Kind, changes[i].ID, changes[i].Before)
	}
}

func (d *Digest) set(k Kind, id string, canonical []byte) {
	key := objectKey(k, id)
	i, found := slices.BinarySearch(d.keys, key)
	if canonical == nil {
		if found {
			d.keys = slices.Delete(d.keys, i, i+1)
			delete(d.sums, key)
		}
		return
	}
	if !found {
		d.keys = slices.Insert(d.keys, i, key)
	}
	d.sums[key] = ObjectHash(k, id, canonical)
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
