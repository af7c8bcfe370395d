package vc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/idport/idport/pkg/jsontext"
)

// errorsIsAny reports whether err already wraps one of this package's sentinels.
func errorsIsAny(err error) bool {
	return errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupportedVersion) ||
		errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNotEnveloped)
}

// Validate checks the data model rules of the credential's version
// (VC Data Model 1.1 or 2.0). It does not check proofs or validity periods
// against a clock.
func (c *Credential) Validate() error {
	v := c.Version()
	if err := validateContext(c.Context); err != nil {
		return err
	}
	if c.ID != "" && !IsURL(c.ID) {
		return malformed("id %q is not a URL", c.ID)
	}
	if err := validateTypes(c.Type, TypeCredential); err != nil {
		return err
	}
	if c.Issuer.ID == "" {
		return malformed("issuer is required")
	}
	if !IsURL(c.Issuer.ID) {
		return malformed("issuer %q is not a URL", c.Issuer.ID)
	}
	if err := validateLanguageValues(c.Issuer.Extra, "issuer."); err != nil {
		return err
	}
	if v == 1 && c.ValidFrom == nil {
		return malformed("issuanceDate is required in a VC 1.1 credential")
	}
	if len(c.Subject) == 0 {
		return malformed("credentialSubject is required")
	}
	for i, s := range c.Subject {
		if len(s) == 0 {
			return malformed("credentialSubject[%d] is empty", i)
		}
		if id, ok := s["id"]; ok {
			if str, isStr := id.(string); !isStr || !IsURL(str) {
				return malformed("credentialSubject[%d].id is not a URL", i)
			}
		}
	}
	if err := validateTypedObjects(c.Status, "credentialStatus", false); err != nil {
		return err
	}
	if err := validateExtra(c.Extra); err != nil {
		return err
	}
	return validateProof(c.Proof)
}

// validateContext checks that @context starts with a base context and holds
// only URLs and objects.
func validateContext(ctx []any) error {
	if len(ctx) == 0 {
		return malformed("@context is required")
	}
	if versionOf(ctx) == 0 {
		first, _ := ctx[0].(string)
		return fmt.Errorf("%w: @context must start with %q or %q, got %q",
			ErrUnsupportedVersion, ContextV2, ContextV1, first)
	}
	for i, item := range ctx[1:] {
		if s, ok := item.(string); ok && !IsURL(s) {
			return malformed("@context[%d] %q is not a URL", i+1, s)
		}
	}
	return nil
}

// validateTypes checks a type list: present, no empty names, includes base.
func validateTypes(types []string, base string) error {
	if len(types) == 0 {
		return malformed("type is required")
	}
	for i, t := range types {
		if t == "" {
			return malformed("type[%d] is empty", i)
		}
	}
	if !hasType(types, base) {
		return malformed("type must include %s", base)
	}
	return nil
}

// validateTypedObjects checks that every object has a type (and an id URL
// when needID, or a URL id when one is present).
func validateTypedObjects(objs []map[string]any, name string, needID bool) error {
	for i, o := range objs {
		switch t := o["type"].(type) {
		case string:
			if t == "" {
				return malformed("%s[%d].type is empty", name, i)
			}
		case []any:
			if len(t) == 0 {
				return malformed("%s[%d].type is empty", name, i)
			}
			for _, x := range t {
				if s, ok := x.(string); !ok || s == "" {
					return malformed("%s[%d].type must hold strings", name, i)
				}
			}
		case nil:
			return malformed("%s[%d].type is required", name, i)
		default:
			return malformed("%s[%d].type must be a string or an array of strings", name, i)
		}
		id, hasID := o["id"]
		if needID && !hasID {
			return malformed("%s[%d].id is required", name, i)
		}
		if hasID {
			if s, ok := id.(string); !ok || !IsURL(s) {
				return malformed("%s[%d].id is not a URL", name, i)
			}
		}
	}
	return nil
}

// typedMembers lists the optional members whose values must be typed
// objects, and whether each needs an id.
var typedMembers = []struct {
	name   string
	needID bool
}{
	{"credentialSchema", true},
	{"evidence", false},
	{"termsOfUse", false},
	{"refreshService", false},
	{"renderMethod", false},
}

// validateExtra checks the optional members that the data model constrains.
func validateExtra(extra map[string]json.RawMessage) error {
	for _, tm := range typedMembers {
		raw, ok := extra[tm.name]
		if !ok {
			continue
		}
		objs, _, err := decodeObjects(raw, tm.name)
		if err != nil {
			return err
		}
		if err := validateTypedObjects(objs, tm.name, tm.needID); err != nil {
			return err
		}
	}
	if raw, ok := extra["relatedResource"]; ok {
		objs, _, err := decodeObjects(raw, "relatedResource")
		if err != nil {
			return err
		}
		seen := make(map[string]bool, len(objs))
		for i, o := range objs {
			s, ok := o["id"].(string)
			if !ok || !IsURL(s) {
				return malformed("relatedResource[%d].id is required and must be a URL", i)
			}
			if seen[s] {
				return malformed("relatedResource[%d].id %q is not unique", i, s)
			}
			seen[s] = true
			if !nonEmptyString(o["digestSRI"]) && !nonEmptyString(o["digestMultibase"]) {
				return malformed("relatedResource[%d] needs digestSRI or digestMultibase", i)
			}
			for _, d := range []string{"digestSRI", "digestMultibase"} {
				if v, has := o[d]; has && !nonEmptyString(v) {
					return malformed("relatedResource[%d].%s must be a non-empty string", i, d)
				}
			}
		}
	}
	return validateLanguageValues(extra, "")
}

func nonEmptyString(v any) bool {
	s, ok := v.(string)
	return ok && s != ""
}

// validateLanguageValues checks name and description: a string, a language
// value object (@value), or an array of those.
func validateLanguageValues(members map[string]json.RawMessage, prefix string) error {
	for _, name := range []string{"name", "description"} {
		raw, ok := members[name]
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return malformed("%s%s: %v", prefix, name, err)
		}
		items, isList := v.([]any)
		if !isList {
			items = []any{v}
		}
		for _, it := range items {
			switch x := it.(type) {
			case string:
			case map[string]any:
				if _, ok := x["@value"].(string); !ok {
					return malformed("%s%s must be a string or a language value object with @value", prefix, name)
				}
			default:
				return malformed("%s%s must be a string or a language value object", prefix, name)
			}
		}
	}
	return nil
}

// validateProof checks that a proof is an object or an array of objects.
func validateProof(p json.RawMessage) error {
	p = bytes.TrimSpace(p)
	if len(p) == 0 {
		return nil
	}
	if jsontext.Valid(p) && objectsShape(p) {
		return nil
	}
	if _, _, err := decodeObjects(p, "proof"); err != nil {
		return err
	}
	return nil
}

// objectsShape reports whether valid JSON p (no surrounding space) is an
// object or an array of objects, as decodeObjects accepts, without
// decoding it.
func objectsShape(p []byte) bool {
	switch p[0] {
	case '{':
		return true
	case '[':
		for _, e := range splitValidArray(p) {
			if e[0] != '{' {
				return false
			}
		}
		return true
	}
	return false
}
