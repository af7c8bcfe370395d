// Package jsontext holds what idport's hand-written JSON readers and writers share: the check
// that keeps encoders byte for byte what encoding/json writes (Plain), strings and numbers
// written as json.Marshal writes them (AppendString, AppendFloat), the duplicate-name check of
// readers that refuse an object holding a name twice, a one-pass decoder into the values
// encoding/json gives an interface (Decode) and a validity check (Valid).
package jsontext

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// Plain reports whether s is printable ASCII without '"', '\\' or the HTML characters
// json.Marshal escapes ('<', '>', '&'): json.Marshal writes such a string between quotes
// unchanged, so an encoder may copy it as it is. Other strings (some of which json.Marshal
// also leaves unchanged, such as non-ASCII text) must go through encoding/json.
func Plain(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		if refusedWord(x)|hasByte(x, '<')|hasByte(x, '>')|hasByte(x, '&') != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if !plain[s[i]] {
			return false
		}
	}
	return true
}

// SWAR tests on eight bytes at a time: each is exact as a whole (non-zero when some byte
// matches, zero when none does), though not byte by byte.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// refusedWord is non-zero when a byte of x is below 0x20, above 0x7e (DEL, or with its high
// bit set), a quote or a backslash.
func refusedWord(x uint64) uint64 {
	below := (x - 0x20*ones) &^ x
	above := (x + ones) | x
	return (below | above | hasByte(x, '"') | hasByte(x, '\\')) & highs
}

// hasByte is non-zero when a byte of x is c.
func hasByte(x uint64, c byte) uint64 {
	y := x ^ uint64(c)*ones
	return (y - ones) &^ y & highs
}

// plain marks the bytes Plain accepts.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// Names is the set of member names of one JSON object, for readers that refuse a name given
// twice: the first few are kept in place and compared one by one, beyond them a map takes
// over, so that checking an object of n names costs O(n) however large n is. The zero value
// is empty; a Names holds no pointer into itself and may be copied (in a stack of frames,
// say) while in use.
type Names struct {
	few [smallNames]string
	n   int
	set map[string]struct{}
}

// smallNames is how many names a Names compares one by one before it builds its map.
const smallNames = 16

// Add records name and reports whether it is new (false: the object holds it twice).
func (m *Names) Add(name string) bool {
	if m.set != nil {
		if _, dup := m.set[name]; dup {
			return false
		}
		m.set[name] = struct{}{}
		return true
	}
	for _, s := range m.few[:m.n] {
		if s == name {
			return false
		}
	}
	if m.n < smallNames {
		m.few[m.n] = name
		m.n++
		return true
	}
	m.set = make(map[string]struct{}, 4*smallNames)
	for _, s := range m.few {
		m.set[s] = struct{}{}
	}
	m.set[name] = struct{}{}
	return true
}

// AppendString appends s as json.Marshal writes it: between quotes, with '"', '\\', control
// characters, '<', '>', '&', U+2028 and U+2029 escaped and every invalid UTF-8 byte replaced
// by \ufffd. A Plain string is copied as it is.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	if Plain(s) {
		return append(append(b, s...), '"')
	}
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = AppendByteEscape(append(b, s[start:i]...), c) // '<', '>' and '&' as \u00xx
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendByteEscape appends the escape of the ASCII byte c inside a JSON string, as both
// json.Marshal and JavaScript's JSON.stringify write it: \" \\ \b \f \n \r \t, and \u00xx
// (lower-case hex) for any other byte.
func AppendByteEscape(b []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

const hexDigits = "0123456789abcdef"

// htmlSafe marks the ASCII bytes json.Marshal writes unchanged: those Plain accepts and DEL.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	copy(t[:], plain[:utf8.RuneSelf])
	t[0x7f] = true
	return t
}()

// ErrUnsupportedNumber reports a NaN or an infinity, which JSON cannot hold (json.Marshal
// fails on them too).
var ErrUnsupportedNumber = errors.New("jsontext: NaN or infinity is not a JSON number")

// AppendFloat appends f as json.Marshal writes a float64: the shortest form that reads back
// as f, in exponent form below 1e-6 and from 1e21 on.
func AppendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, ErrUnsupportedNumber
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 is written e-9.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// PlainRun returns the length of the longest prefix of s made of printable ASCII (0x20-0x7e)
// other than '"' and '\\': the bytes a reader of a JSON string may pass over without looking
// at them one by one (a base64url token is such a run). It reads eight bytes at a time.
func PlainRun[T string | []byte](s T) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		if refusedWord(x) != 0 {
			break
		}
	}
	for ; i < len(s) && plainRun[s[i]]; i++ {
	}
	return i
}

// plainRun marks the bytes PlainRun passes over.
var plainRun = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
