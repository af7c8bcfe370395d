package jsontext

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors of Members. Each comes wrapped with the byte offset where the reader stopped.
var (
	// ErrSyntax reports text that is not one JSON value.
	ErrSyntax = errors.New("invalid JSON")
	// ErrTooDeep reports objects and arrays nested deeper than the caller's limit.
	ErrTooDeep = errors.New("json nested too deep")
	// ErrNotObject reports a valid JSON value that is neither an object nor null.
	ErrNotObject = errors.New("the JSON value is not an object")
	// ErrDuplicateName reports an object holding a member name twice.
	ErrDuplicateName = errors.New("a member name is given twice")
)

// Member is one member of the object Members reads: its name, decoded (escapes resolved,
// invalid UTF-8 replaced by U+FFFD as encoding/json does), and its value as the bytes of the
// document, white space around it excluded. Value shares b's memory.
type Member struct {
	Name  string
	Value []byte
}

// Members reads b, one JSON object with optional white space around it, and returns its
// members in document order, without decoding their values: a request reader takes the
// members it knows and decodes only those. The whole text is checked as Valid checks it, with
// objects and arrays nested at most maxDepth deep (the top-level object is depth 1), so a
// value handed back is valid JSON.
//
// Unlike encoding/json reading into a struct, names match exactly (no case folding) and an
// object naming a member twice is refused (ErrDuplicateName), so that no two readers of one
// request can see two different values under one name. The literal null has no members, as
// encoding/json reads it into a struct: Members returns nil and no error.
func Members(b []byte, maxDepth int) ([]Member, error) {
	v := validator{scanner: scanner{b: b}, max: maxDepth}
	v.space()
	if v.i < len(b) && b[v.i] == 'n' {
		if !v.literal("null") {
			return nil, v.fail()
		}
		if v.space(); v.i != len(b) {
			return nil, v.fail()
		}
		return nil, nil
	}
	if v.i >= len(b) || b[v.i] != '{' {
		if v.value(0) {
			if v.space(); v.i == len(b) {
				return nil, fmt.Errorf("%w (it starts with %q)", ErrNotObject, b[trimStart(b)])
			}
		}
		return nil, v.fail()
	}
	if v.depthTooDeep(1) {
		return nil, v.fail()
	}
	var (
		members []Member
		names   Names
		dup     error // the first name given twice, reported once the whole text is checked
	)
	if !v.open('}') {
		members = make([]Member, 0, 2)
		for {
			if v.i >= len(b) || b[v.i] != '"' {
				return nil, v.fail()
			}
			start := v.i
			if !v.str() {
				return nil, v.fail()
			}
			name, err := memberName(b[start:v.i])
			if err != nil {
				return nil, fmt.Errorf("%w at offset %d", ErrSyntax, start)
			}
			if !names.Add(name) && dup == nil {
				dup = fmt.Errorf("%w: %q at offset %d", ErrDuplicateName, name, start)
			}
			v.space()
			if v.i >= len(b) || b[v.i] != ':' {
				return nil, v.fail()
			}
			v.i++
			v.space()
			vstart := v.i
			if !v.value(1) {
				return nil, v.fail()
			}
			members = append(members, Member{Name: name, Value: b[vstart:v.i:v.i]})
			more, ok := v.next('}')
			if !ok {
				return nil, v.fail()
			}
			if !more {
				break
			}
		}
	}
	if v.space(); v.i != len(b) {
		return nil, v.fail()
	}
	if dup != nil {
		return nil, dup
	}
	return members, nil
}

// fail is the error of a validator that stopped at v.i.
func (v *validator) fail() error {
	if v.tooDeep {
		return fmt.Errorf("%w: more than %d levels at offset %d", ErrTooDeep, v.max, v.i)
	}
	return fmt.Errorf("%w at offset %d", ErrSyntax, v.i)
}

func trimStart(b []byte) int {
	s := scanner{b: b}
	s.space()
	return s.i
}

// memberName decodes a quoted name that str has checked.
func memberName(quoted []byte) (string, error) {
	if content := quoted[1 : len(quoted)-1]; bytes.IndexByte(content, '\\') < 0 && utf8.Valid(content) {
		return string(content), nil
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", fmt.Errorf("member name: %w", err)
	}
	return s, nil
}
