// Package jsontext holds what hand-written JSON encoders need to stay byte for byte what
// encoding/json writes.
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
