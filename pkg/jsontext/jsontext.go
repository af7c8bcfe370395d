// Package jsontext holds what idport's hand-written JSON readers and writers share: the check
// that keeps encoders byte for byte what encoding/json writes, the duplicate-name check of
// readers that refuse an object holding a name twice, a one-pass decoder into the values
// encoding/json gives an interface (Decode) and a validity check (Valid).
package jsontext

// Plain reports whether s is printable ASCII without '"', '\\' or the HTML characters
// json.Marshal escapes ('<', '>', '&'): json.Marshal writes such a string between quotes
// unchanged, so an encoder may copy it as it is. Other strings (some of which json.Marshal
// also leaves unchanged, such as non-ASCII text) must go through encoding/json.
func Plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plain[s[i]] {
			return false
		}
	}
	return true
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
