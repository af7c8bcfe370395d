package vc

import "github.com/idport/idport/pkg/jsontext"

// envelopeFast reads the usual shape of an enveloped value, an object with
// exactly the members "@context", "id" and "type", each a string or (for
// @context and type) an array of strings, every string plain ASCII without
// escapes, in one pass over b without reflection. ok is false for anything
// else, valid or not: ParseEnveloped then decodes with encoding/json, which
// decides and reports. When ok is true the values are those encoding/json
// would give.
func envelopeFast(b []byte) (context, types []string, id string, ok bool) {
	s := envelopeScanner{b: b}
	s.space()
	if !s.byte('{') {
		return nil, nil, "", false
	}
	var seen [3]bool
	for first := true; ; first = false {
		s.space()
		if first && s.byte('}') {
			return nil, nil, "", false // no members: not the usual shape
		}
		name, ok := s.plain()
		if !ok || !s.afterSpace(':') {
			return nil, nil, "", false
		}
		s.space()
		switch {
		case name == "@context" && !seen[0]:
			seen[0] = true
			context, ok = s.strings()
		case name == "type" && !seen[1]:
			seen[1] = true
			types, ok = s.strings()
		case name == "id" && !seen[2]:
			seen[2] = true
			id, ok = s.plain()
		default:
			ok = false // another member or a duplicate
		}
		if !ok {
			return nil, nil, "", false
		}
		s.space()
		if s.byte(',') {
			continue
		}
		if !s.byte('}') {
			return nil, nil, "", false
		}
		s.space()
		return context, types, id, s.i == len(s.b) && seen == [3]bool{true, true, true}
	}
}

// envelopeScanner is the read state of envelopeFast.
type envelopeScanner struct {
	b []byte
	i int
}

func (s *envelopeScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// byte consumes c if it is next.
func (s *envelopeScanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *envelopeScanner) afterSpace(c byte) bool {
	s.space()
	return s.byte(c)
}

// plain reads a string of printable ASCII without escapes.
func (s *envelopeScanner) plain() (string, bool) {
	if !s.byte('"') {
		return "", false
	}
	start := s.i
	// The run ends at the closing quote, or at a byte refused here (a control character,
	// DEL, non-ASCII, a backslash), or at the end.
	s.i += jsontext.PlainRun(s.b[s.i:])
	if s.i < len(s.b) && s.b[s.i] == '"' {
		s.i++
		return knownString(s.b[start : s.i-1]), true
	}
	return "", false
}

// knownString returns b as a string: the constant for the member names and
// values every envelope holds (no allocation), a copy otherwise.
func knownString(b []byte) string {
	switch string(b) { // compared in place, not converted
	case "@context":
		return "@context"
	case "type":
		return "type"
	case "id":
		return "id"
	case ContextV2:
		return ContextV2
	case TypeEnveloped:
		return TypeEnveloped
	case TypeEnvelopedPresentation:
		return TypeEnvelopedPresentation
	}
	return string(b)
}

// strings reads a plain string or a non-empty array of them.
func (s *envelopeScanner) strings() ([]string, bool) {
	if !s.byte('[') {
		v, ok := s.plain()
		return []string{v}, ok
	}
	var out []string
	for {
		s.space()
		v, ok := s.plain()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		s.space()
		if s.byte(']') {
			return out, true
		}
		if !s.byte(',') {
			return nil, false
		}
	}
}
