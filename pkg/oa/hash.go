package oa

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/sha3"

	"github.com/idport/idport/pkg/jsontext"
)

// Keccak256 returns the Ethereum keccak256 hash of b.
func Keccak256(b ...[]byte) []byte {
	h := sha3.NewLegacyKeccak256()
	for _, x := range b {
		h.Write(x)
	}
	return h.Sum(nil)
}

// appendJSString appends s quoted the way JavaScript's JSON.stringify
// quotes a string: only '"', '\\' and control characters are escaped
// (\b \f \n \r \t, others as \u00xx); everything else is written as UTF-8.
// Go's encoding/json differs (it escapes <, >, & and U+2028/9), and the
// hashes of OpenAttestation are over JSON.stringify's bytes.
func appendJSString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			if c < utf8.RuneSelf {
				j := i + 1 + jsontext.PlainRun(s[i+1:]) // append the whole run of plain ASCII at once
				b = append(b, s[i:j]...)
				i = j
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r) // invalid UTF-8 becomes U+FFFD, as a JS string would hold it
			i += size
			continue
		}
		b = jsontext.AppendByteEscape(b, c)
		i++
	}
	return append(b, '"')
}

// leaf is one flattened field of a document's data: its dotted path and
// the JSON of its value as JSON.stringify writes it.
type leaf struct {
	path string
	kind leafKind
	text string // the value of a leafString
}

// leafKind is what a leaf holds: a string, or an empty object or array.
type leafKind uint8

const (
	leafString leafKind = iota
	leafEmptyObject
	leafEmptyArray
)

// flatten lists the leaves of data the way the reference library's
// flatten (flatley) does: nested objects and arrays give dotted paths
// ("items.0.price"); empty objects and arrays are leaves themselves. Keys
// holding '.' are refused (the reference refuses them too), as are values
// that are not strings: wrapped data is salted, so every leaf is a string.
// The order of the leaves is not defined (the target hash sorts them).
func flatten(data map[string]any, maxFields int) ([]leaf, error) {
	f := newFlattener(maxFields)
	for k, v := range data {
		if strings.Contains(k, ".") {
			return nil, malformed("key %q holds a '.'", truncate(k))
		}
		f.path = append(f.path[:0], k...)
		if err := f.walk(v); err != nil {
			return nil, err
		}
	}
	return f.leaves(), nil
}

func newFlattener(maxFields int) *flattener {
	return &flattener{max: maxFields, out: make([]leaf, 0, 64), path: make([]byte, 0, 64),
		paths: make([]byte, 0, 2048), ends: make([]int, 0, 64)}
}

// leaves returns the leaves added, their paths set (one string holds them
// all).
func (f *flattener) leaves() []leaf {
	all, start := string(f.paths), 0
	for i, end := range f.ends {
		f.out[i].path = all[start:end]
		start = end
	}
	return f.out
}

// flattener is the state of flatten: the leaves so far and the path of
// the value being walked, built in one buffer (a leaf's path is the one
// string made from it).
type flattener struct {
	max  int
	out  []leaf
	path []byte

	paths []byte // the leaves' paths, one after the other
	ends  []int  // where each leaf's path ends in paths
}

// add appends a leaf at the current path; its path string is set by
// leaves, once every leaf is known.
func (f *flattener) add(kind leafKind, text string) {
	f.paths = append(f.paths, f.path...)
	f.ends = append(f.ends, len(f.paths))
	f.out = append(f.out, leaf{kind: kind, text: text})
}

// full reports whether more leaves were added than allowed.
func (f *flattener) full() bool { return len(f.out) > f.max }

func (f *flattener) walk(v any) error {
	if f.full() {
		return malformed("more than %d fields", f.max)
	}
	n := len(f.path)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			f.add(leafEmptyObject, "")
			return nil
		}
		for k, child := range x {
			if strings.Contains(k, ".") {
				return malformed("key %q holds a '.'", truncate(k))
			}
			f.path = append(f.dot(n), k...)
			if err := f.walk(child); err != nil {
				return err
			}
		}
	case []any:
		if len(x) == 0 {
			f.add(leafEmptyArray, "")
			return nil
		}
		for i, child := range x {
			f.path = strconv.AppendInt(f.dot(n), int64(i), 10)
			if err := f.walk(child); err != nil {
				return err
			}
		}
	case string:
		f.add(leafString, x)
	default:
		return malformed("field %q is not a salted string", truncate(string(f.path)))
	}
	f.path = f.path[:n]
	return nil
}

// dot returns the path cut to its first n bytes and followed by the
// separator; an empty path takes none ("a" under "" is "a", as flatley
// joins).
func (f *flattener) dot(n int) []byte {
	if n == 0 {
		return f.path[:0]
	}
	return append(f.path[:n], '.')
}

// keccak is a keccak256 state reused across hashes (Reset, Write, sum).
type keccak struct {
	h hash.Hash
	r io.Reader // h: reading squeezes the sponge without the copy Sum makes
}

func newKeccak() keccak {
	h := sha3.NewLegacyKeccak256()
	r, _ := h.(io.Reader)
	return keccak{h: h, r: r}
}

// sum sets out to keccak256(b).
func (k keccak) sum(out *[32]byte, b []byte) {
	k.h.Reset()
	k.h.Write(b)
	if k.r != nil {
		_, _ = k.r.Read(out[:])
		return
	}
	k.h.Sum(out[:0])
}

// appendLeafJSON appends JSON.stringify({[path]: value}) of l to buf: the
// text a leaf hash is the keccak256 of.
func appendLeafJSON(buf []byte, l leaf) []byte {
	buf = append(buf, '{')
	buf = appendJSString(buf, l.path)
	buf = append(buf, ':')
	switch l.kind {
	case leafString:
		buf = appendJSString(buf, l.text)
	case leafEmptyObject:
		buf = append(buf, '{', '}')
	default:
		buf = append(buf, '[', ']')
	}
	return append(buf, '}')
}

// leafHashes returns the hex keccak256 of each leaf's JSON, in order, as
// substrings of one string.
func leafHashes(k keccak, leaves []leaf) []string {
	sums := leafSums(k, leaves)
	hexes := make([]byte, 64*len(sums))
	for i := range sums {
		hex.Encode(hexes[64*i:], sums[i][:])
	}
	all := string(hexes)
	out := make([]string, len(sums))
	for i := range out {
		out[i] = all[64*i : 64*i+64]
	}
	return out
}

// leafSums returns the keccak256 of each leaf's JSON, in order, with room
// for more.
func leafSums(k keccak, leaves []leaf) [][32]byte {
	sums := make([][32]byte, len(leaves), len(leaves)+8)
	buf := make([]byte, 0, 256)
	for i, l := range leaves {
		buf = appendLeafJSON(buf[:0], l)
		k.sum(&sums[i], buf)
	}
	return sums
}

// digest computes the target hash of data with the obfuscated hashes:
// keccak256(JSON.stringify(sorted(obfuscated ++ leaf hashes))). One
// keccak state serves every hash, and the hashes are sorted as bytes
// (the order of their lower-case hex), written in hex once.
func digest(leaves []leaf, obfuscated []string) string {
	k := newKeccak()
	sums := leafSums(k, leaves)
	for _, o := range obfuscated {
		var h [32]byte
		if !isHash(o) {
			return digestHex(k, leaves, obfuscated)
		}
		_, _ = hex.Decode(h[:], []byte(o))
		sums = append(sums, h)
	}
	slices.SortFunc(sums, compareSums)
	b := make([]byte, 1+67*len(sums)+1)
	b[0] = '['
	at := 1
	for i := range sums {
		if i > 0 {
			b[at] = ','
			at++
		}
		b[at] = '"'
		hex.Encode(b[at+1:], sums[i][:])
		b[at+65] = '"'
		at += 66
	}
	b[at] = ']'
	var sum [32]byte
	k.sum(&sum, b[:at+1])
	return hex.EncodeToString(sum[:])
}

// compareSums orders two hashes as bytes (the order of their lower-case
// hex); the first eight bytes, compared as one integer, almost always
// decide.
func compareSums(a, b [32]byte) int {
	if x, y := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8]); x != y {
		return cmp.Compare(x, y)
	}
	return bytes.Compare(a[8:], b[8:])
}

// digestHex is digest for obfuscated entries that are not lower-case hex
// hashes (a document built in code): the strings are sorted as they are.
func digestHex(k keccak, leaves []leaf, obfuscated []string) string {
	hashes := append(leafHashes(k, leaves), obfuscated...)
	slices.Sort(hashes)
	b := []byte{'['}
	for i, h := range hashes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, h...)
		b = append(b, '"')
	}
	b = append(b, ']')
	var sum [32]byte
	k.sum(&sum, b)
	return hex.EncodeToString(sum[:])
}

// combine returns keccak256 of the two 32-byte hashes, the smaller first
// (the reference's combineHashBuffers).
func combine(a, b []byte) []byte {
	if bytes.Compare(a, b) > 0 {
		a, b = b, a
	}
	return Keccak256(a, b)
}

// MerkleRoot follows proof from target to the root: each step hashes the
// pair sorted.
func MerkleRoot(target []byte, proof [][]byte) []byte {
	h := target
	for _, p := range proof {
		h = combine(h, p)
	}
	return h
}

// isHash reports whether s is 64 lowercase hex digits (a hash as the
// reference library writes it).
func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
