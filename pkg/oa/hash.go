package oa

import (
	"bytes"
	"encoding/hex"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/sha3"
)

// Keccak256 returns the Ethereum keccak256 hash of b.
func Keccak256(b ...[]byte) []byte {
	h := sha3.NewLegacyKeccak256()
	for _, x := range b {
		h.Write(x)
	}
	return h.Sum(nil)
}

func keccakHex(s []byte) string { return hex.EncodeToString(Keccak256(s)) }

// appendJSString appends s quoted the way JavaScript's JSON.stringify
// quotes a string: only '"', '\\' and control characters are escaped
// (\b \f \n \r \t, others as \u00xx); everything else is written as UTF-8.
// Go's encoding/json differs (it escapes <, >, & and U+2028/9), and the
// hashes of OpenAttestation are over JSON.stringify's bytes.
func appendJSString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			if c < utf8.RuneSelf {
				b = append(b, c)
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r) // invalid UTF-8 becomes U+FFFD, as a JS string would hold it
			i += size
			continue
		}
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
	}
	return append(b, '"')
}

// leaf is one flattened field of a document's data: its dotted path and
// the JSON of its value as JSON.stringify writes it.
type leaf struct {
	path  string
	value any // string, or an empty map/slice
}

// flatten lists the leaves of data the way the reference library's
// flatten (flatley) does: nested objects and arrays give dotted paths
// ("items.0.price"); empty objects and arrays are leaves themselves. Keys
// holding '.' are refused (the reference refuses them too), as are values
// that are not strings: wrapped data is salted, so every leaf is a string.
func flatten(data map[string]any, maxFields int) ([]leaf, error) {
	var out []leaf
	var walk func(prefix string, v any) error
	walk = func(prefix string, v any) error {
		if len(out) > maxFields {
			return malformed("more than %d fields", maxFields)
		}
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				out = append(out, leaf{prefix, x})
				return nil
			}
			for k, child := range x {
				if strings.Contains(k, ".") {
					return malformed("key %q holds a '.'", truncate(k))
				}
				if err := walk(join(prefix, k), child); err != nil {
					return err
				}
			}
		case []any:
			if len(x) == 0 {
				out = append(out, leaf{prefix, x})
				return nil
			}
			for i, child := range x {
				if err := walk(join(prefix, itoa(i)), child); err != nil {
					return err
				}
			}
		case string:
			out = append(out, leaf{prefix, x})
		default:
			return malformed("field %q is not a salted string", truncate(prefix))
		}
		return nil
	}
	for k, v := range data {
		if strings.Contains(k, ".") {
			return nil, malformed("key %q holds a '.'", truncate(k))
		}
		if err := walk(k, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	if i == 0 {
		return "0"
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

// leafHash returns keccak256(JSON.stringify({[path]: value})) in hex.
func leafHash(buf []byte, l leaf) (string, []byte) {
	buf = append(buf[:0], '{')
	buf = appendJSString(buf, l.path)
	buf = append(buf, ':')
	switch v := l.value.(type) {
	case string:
		buf = appendJSString(buf, v)
	case map[string]any:
		buf = append(buf, '{', '}')
	default:
		buf = append(buf, '[', ']')
	}
	buf = append(buf, '}')
	return keccakHex(buf), buf
}

// digest computes the target hash of data with the obfuscated hashes:
// keccak256(JSON.stringify(sorted(obfuscated ++ leaf hashes))).
func digest(leaves []leaf, obfuscated []string) string {
	hashes := make([]string, 0, len(leaves)+len(obfuscated))
	hashes = append(hashes, obfuscated...)
	buf := make([]byte, 0, 256)
	for _, l := range leaves {
		var h string
		h, buf = leafHash(buf, l)
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	var b bytes.Buffer
	b.Grow(len(hashes)*67 + 2)
	b.WriteByte('[')
	for i, h := range hashes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(h)
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return keccakHex(b.Bytes())
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
