// Copyright 2015-2017 Piprate Limited
// Copyright 2025 Siemens AG
// Copyright 2026 the idport authors
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Package ldexpand is JSON-LD expansion over pre-processed contexts: a
// pruned copy of json-gold's expansion (github.com/piprate/json-gold v0.9.1,
// ld/api_expand.go) that never copies an active context.
//
// json-gold uses a processed *ld.Context found as a context value as it is,
// but copies the whole active context first (Context.parse) and again for
// every child node of a node whose type has a scoped context
// (Context.RevertToPreviousContext). This package gives the same output
// while only switching pointers: an active context is a read-only
// *ld.Context, and the context a type-scoped context reverts to is looked
// up in a table the caller builds when it pre-processes the contexts
// (json-gold keeps it in an unexported field).
//
// Only documents whose every context value is such a pre-processed context
// (or a null property-scoped context) are handled, and only the JSON-LD
// features a Verifiable Credential uses: anything else (a local context
// map, @reverse, @nest, @included, index, id, type and language maps,
// framing keywords) returns ErrUnsupported, and the caller expands the
// document with json-gold instead. Errors are not json-gold's: callers
// expand with json-gold on any error to report its error.
//
// The contexts must have been processed in JSON-LD 1.1 processing mode and
// safe mode, as pkg/vcld processes them.
package ldexpand

import (
	"errors"
	"sort"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// ErrUnsupported reports a document outside what this package expands.
var ErrUnsupported = errors.New("ldexpand: outside the supported subset")

// errInvalid reports a document json-gold refuses (its error is the one to
// report: callers expand with json-gold again).
var errInvalid = errors.New("ldexpand: invalid document")

// Contexts tells the pre-processed contexts apart from others.
type Contexts interface {
	// Previous returns, for a pre-processed context c, the context json-gold
	// would revert to (nil when c is not type-scoped), and whether c is one
	// of the known pre-processed contexts at all.
	Previous(c *ld.Context) (prev *ld.Context, known bool)
	// Empty returns the empty active context (what a null scoped context
	// gives); Previous(Empty()) is (nil, true).
	Empty() *ld.Context
}

// Expand expands doc, whose @context must be a pre-processed context, as
// json-gold's JsonLdProcessor.Expand does (with no expand context and no
// base). doc is not modified; the result shares JSON scalars and @json
// values with it.
func Expand(doc map[string]any, cs Contexts) (_ []any, err error) {
	// json-gold panics on some shapes (a prefix defined as null); let it
	// report those.
	defer func() {
		if r := recover(); r != nil {
			err = ErrUnsupported
		}
	}()
	e := expander{cs: cs}
	expanded, err := e.element(cs.Empty(), "", doc)
	if err != nil {
		return nil, err
	}
	expandedMap, isMap := expanded.(map[string]any)
	if isMap && len(expandedMap) == 0 {
		expanded = nil
	}
	graph, hasGraph := expandedMap["@graph"]
	if isMap && hasGraph && len(expandedMap) == 1 {
		expanded = graph
	} else if expanded == nil {
		expanded = make([]any, 0)
	}
	if list, isList := expanded.([]any); isList {
		return list, nil
	}
	return []any{expanded}, nil
}

type expander struct {
	cs Contexts
}

// scoped is json-gold's parse of a scoped context value local over the
// active context c, for a property-scoped context (property true:
// propagated, protected terms may be overridden) or a type-scoped one.
func (e *expander) scoped(c *ld.Context, local any, property bool) (*ld.Context, error) {
	switch t := local.(type) {
	case *ld.Context:
		// json-gold: result := CopyContext(c) ... result = t. The copy is
		// dropped; the previous context is t's own.
		if _, known := e.cs.Previous(t); !known {
			return nil, ErrUnsupported
		}
		return t, nil
	case nil:
		if !property {
			// A null type-scoped context keeps a previous context json-gold
			// builds on the fly.
			return nil, ErrUnsupported
		}
		return e.cs.Empty(), nil
	}
	return nil, ErrUnsupported
}

// embedded is json-gold's Parse of a node's own @context member.
func (e *expander) embedded(v any) (*ld.Context, error) {
	c, ok := v.(*ld.Context)
	if !ok {
		return nil, ErrUnsupported
	}
	if _, known := e.cs.Previous(c); !known {
		return nil, ErrUnsupported
	}
	return c, nil
}

// ignoredKeyword is json-gold's ignoredKeywordPattern ("^@[a-zA-Z]+$").
func ignoredKeyword(s string) bool {
	if len(s) < 2 || s[0] != '@' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// expandIRI is json-gold's Context.ExpandIri outside context processing
// (no local context, no cycle tracking).
func expandIRI(c *ld.Context, value string, relative, vocab bool) string {
	if ld.IsKeyword(value) {
		return value
	}
	if ignoredKeyword(value) {
		return ""
	}
	if td, has := c.TermDefinitions[value]; vocab && has {
		if td != nil {
			return td.ID
		}
		return ""
	}
	if colon := strings.IndexByte(value, ':'); colon > 0 {
		prefix, suffix := value[:colon], value[colon+1:]
		if prefix == "_" || strings.HasPrefix(suffix, "//") {
			return value
		}
		td, hasPrefix := c.TermDefinitions[prefix]
		if hasPrefix && td.ID != "" && td.Prefix != nil && *td.Prefix {
			return td.ID + suffix
		} else if ld.IsAbsoluteIri(value) {
			return value
		}
	}
	if v := c.Values.Vocab; vocab && v != nil {
		return *v + value
	} else if relative {
		return ld.Resolve(c.Values.Base, value)
	}
	return value
}

func orderedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// element is json-gold's expandElement.
// json-gold's insideIndex and typeScopedContext arguments are left out:
// they are set only within index and type maps, which this package does
// not expand.
func (e *expander) element(active *ld.Context, activeProperty string, element any) (any, error) {
	switch elem := element.(type) {
	case nil:
		return nil, nil
	case []any:
		resultList := make([]any, 0, len(elem))
		for _, item := range elem {
			v, err := e.element(active, activeProperty, item)
			if err != nil {
				return nil, err
			}
			if activeProperty == "@list" || active.HasContainerMapping(activeProperty, "@list") {
				if _, isList := v.([]any); isList {
					v = map[string]any{"@list": v}
				}
			}
			if v != nil {
				if vList, isList := v.([]any); isList {
					resultList = append(resultList, vList...)
				} else {
					resultList = append(resultList, v)
				}
			}
		}
		return resultList, nil
	case map[string]any:
		return e.object(active, activeProperty, elem)
	default:
		if activeProperty == "" || activeProperty == "@graph" {
			return nil, nil
		}
		return active.ExpandValue(activeProperty, element)
	}
}

// keepsTypeScoped is json-gold's test for an object that keeps the
// type-scoped active context c instead of reverting it: at most two members
// and no @context, one of them expanding to @value, or a lone @id.
func keepsTypeScoped(c *ld.Context, keys []string, hasContext bool) bool {
	if hasContext || len(keys) > 2 {
		return false
	}
	for _, key := range keys {
		switch expandIRI(c, key, false, true) {
		case "@value":
			return true
		case "@id":
			if len(keys) == 1 {
				return true
			}
		}
	}
	return false
}

// object is the JSON object case of json-gold's expandElement.
func (e *expander) object(active *ld.Context, activeProperty string, elem map[string]any) (any, error) {
	expandedActiveProperty := expandIRI(active, activeProperty, false, true)

	var propertyScoped any
	hasPropertyScoped := false
	if td := active.GetTermDefinition(activeProperty); td != nil {
		propertyScoped = td.Context
		hasPropertyScoped = td.Context != nil
	}

	keys := orderedKeys(elem)
	elemCtx, hasContext := elem["@context"]
	// json-gold's RevertToPreviousContext, without the copy.
	if prev, _ := e.cs.Previous(active); prev != nil && !keepsTypeScoped(active, keys, hasContext) {
		active = prev
	}
	if hasPropertyScoped {
		c, err := e.scoped(active, propertyScoped, true)
		if err != nil {
			return nil, err
		}
		active = c
	}
	if hasContext {
		c, err := e.embedded(elemCtx)
		if err != nil {
			return nil, err
		}
		active = c
	}
	typeScoped := active

	var typeKey string
	for _, key := range keys {
		if expandIRI(active, key, false, true) != "@type" {
			continue
		}
		var types []string
		switch v := elem[key].(type) {
		case []any:
			for _, t := range v {
				s, isString := t.(string)
				if !isString {
					return nil, errInvalid
				}
				types = append(types, s)
			}
			sort.Strings(types)
		case string:
			types = append(types, v)
		default:
			return nil, errInvalid
		}
		for _, tt := range types {
			if td := typeScoped.GetTermDefinition(tt); td != nil && td.HasContext {
				c, err := e.scoped(active, td.Context, false)
				if err != nil {
					return nil, err
				}
				active = c
			}
		}
		typeKey = key
	}

	resultMap := make(map[string]any, len(elem))
	if err := e.members(active, activeProperty, expandedActiveProperty, elem, keys, resultMap, typeKey, typeScoped); err != nil {
		return nil, err
	}
	return e.finish(activeProperty, resultMap)
}

// finish is steps 8 to 13 of json-gold's expandElement on an expanded
// object.
func (e *expander) finish(activeProperty string, resultMap map[string]any) (any, error) {
	if rval, hasValue := resultMap["@value"]; hasValue {
		for key := range resultMap {
			switch key {
			case "@value", "@index", "@language", "@type", "@direction":
			default:
				return nil, errInvalid
			}
		}
		_, hasLanguage := resultMap["@language"]
		_, hasDirection := resultMap["@direction"]
		typeValue, hasType := resultMap["@type"]
		if (hasLanguage || hasDirection) && hasType {
			return nil, errInvalid
		}
		if rval == nil && typeValue != "@json" {
			return nil, nil
		}
		if hasLanguage {
			for _, v := range ld.Arrayify(rval) {
				if _, isString := v.(string); !(isString || isEmptyObject(v)) {
					return nil, errInvalid
				}
			}
		} else if hasType {
			types := ld.Arrayify(typeValue)
			if !(len(types) == 1 && types[0] == "@json") { // processing mode 1.1
				for _, v := range types {
					s, isString := v.(string)
					if !(isEmptyObject(v) || (isString && ld.IsAbsoluteIri(s) && !strings.HasPrefix(s, "_:"))) {
						return nil, errInvalid
					}
				}
			}
		}
	} else if rtype, hasType := resultMap["@type"]; hasType {
		if _, isList := rtype.([]any); !isList {
			resultMap["@type"] = []any{rtype}
		}
	} else {
		rset, hasSet := resultMap["@set"]
		_, hasList := resultMap["@list"]
		if hasSet || hasList {
			maxSize := 1
			if _, hasIndex := resultMap["@index"]; hasIndex {
				maxSize = 2
			}
			if len(resultMap) > maxSize {
				return nil, errInvalid
			}
			if hasSet {
				return rset, nil
			}
		}
	}
	if _, hasLanguage := resultMap["@language"]; hasLanguage && len(resultMap) == 1 {
		resultMap = nil
	}
	if activeProperty == "" || activeProperty == "@graph" {
		_, hasValue := resultMap["@value"]
		_, hasList := resultMap["@list"]
		_, hasID := resultMap["@id"]
		if resultMap != nil && (len(resultMap) == 0 || hasValue || hasList) {
			resultMap = nil
		} else if resultMap != nil && hasID && len(resultMap) == 1 {
			resultMap = nil
		}
	}
	if resultMap == nil {
		return nil, nil
	}
	return resultMap, nil
}

func isEmptyObject(v any) bool {
	m, isMap := v.(map[string]any)
	return isMap && len(m) == 0
}

// members is json-gold's expandObject, less @reverse, @nest, @included,
// index, id, type and language maps and framing.
func (e *expander) members(active *ld.Context, activeProperty, expandedActiveProperty string, elem map[string]any, keys []string,
	resultMap map[string]any, typeKey string, typeScoped *ld.Context) error {
	inputType := elem[typeKey]
	if inputType != nil {
		if arr, isArray := inputType.([]any); isArray {
			if len(arr) > 0 {
				inputType = arr[len(arr)-1]
			} else {
				inputType = nil
			}
		}
		if inputType != nil {
			s, isString := inputType.(string)
			if !isString {
				return errInvalid
			}
			inputType = expandIRI(active, s, false, true)
		}
	}

	for _, key := range keys {
		value := elem[key]
		if key == "@context" {
			continue
		}
		expandedProperty := expandIRI(active, key, false, true)
		var expandedValue any
		if expandedProperty == "" || (!strings.Contains(expandedProperty, ":") && !ld.IsKeyword(expandedProperty)) {
			return errInvalid // safe mode: a dropped property
		}
		if ld.IsKeyword(expandedProperty) {
			if expandedActiveProperty == "@reverse" {
				return errInvalid
			}
			_, containsKey := resultMap[expandedProperty]
			if containsKey && expandedProperty != "@type" && expandedProperty != "@included" {
				return errInvalid
			}
			switch expandedProperty {
			case "@id":
				s, isString := value.(string)
				if !isString {
					return errInvalid
				}
				expandedValue = expandIRI(active, s, true, false)
			case "@type":
				switch v := value.(type) {
				case []any:
					var list []any
					for _, item := range v {
						s, isString := item.(string)
						if !isString {
							return errInvalid
						}
						list = append(list, expandIRI(typeScoped, s, true, true))
					}
					expandedValue = list
				case string:
					expandedValue = expandIRI(typeScoped, v, true, true)
					if containsKey {
						expandedValue = append(ld.Arrayify(resultMap[expandedProperty]), expandedValue)
					}
				default:
					return errInvalid
				}
			case "@graph":
				v, err := e.element(active, "@graph", value)
				if err != nil {
					return err
				}
				expandedValue = ld.Arrayify(v)
			case "@value":
				if inputType != "@json" { // processing mode 1.1
					_, isMap := value.(map[string]any)
					_, isList := value.([]any)
					if value != nil && (isMap || isList) {
						return errInvalid
					}
				}
				expandedValue = value
				if expandedValue == nil {
					resultMap["@value"] = nil
					continue
				}
			case "@language":
				s, isString := value.(string)
				if !isString {
					return errInvalid
				}
				expandedValue = strings.ToLower(s)
			case "@direction":
				if _, isString := value.(string); !isString {
					return errInvalid
				}
				expandedValue = value
			case "@index":
				if _, isString := value.(string); !isString {
					return errInvalid
				}
				expandedValue = value
			case "@list":
				if activeProperty == "" || activeProperty == "@graph" {
					continue
				}
				v, err := e.element(active, activeProperty, value)
				if err != nil {
					// json-gold ignores this error; let it decide.
					return ErrUnsupported
				}
				expandedValue = ld.Arrayify(v)
			case "@set":
				v, err := e.element(active, activeProperty, value)
				if err != nil {
					return ErrUnsupported
				}
				expandedValue = v
			default:
				// @reverse, @nest, @included, framing keywords.
				return ErrUnsupported
			}
			if expandedValue != nil {
				resultMap[expandedProperty] = expandedValue
			}
			continue
		}

		termCtx := active
		td := active.GetTermDefinition(key)
		if td != nil && td.HasContext {
			c, err := e.scoped(active, td.Context, true)
			if err != nil {
				return err
			}
			termCtx = c
		}

		if _, isMap := value.(map[string]any); isMap {
			for _, kind := range [...]string{"@language", "@index", "@id", "@type"} {
				if termCtx.HasContainerMapping(key, kind) {
					return ErrUnsupported
				}
			}
		}
		if termCtx.IsReverseProperty(key) {
			return ErrUnsupported
		}

		var err error
		isList := expandedProperty == "@list"
		if tdKey := active.GetTermDefinition(key); isList || expandedProperty == "@set" {
			nextActiveProperty := activeProperty
			if isList && expandedActiveProperty == "@graph" {
				nextActiveProperty = ""
			}
			expandedValue, err = e.element(termCtx, nextActiveProperty, value)
		} else if tdKey != nil && tdKey.Type == "@json" {
			expandedValue = map[string]any{"@type": "@json", "@value": value}
		} else {
			expandedValue, err = e.element(termCtx, key, value)
		}
		if err != nil {
			return err
		}
		if expandedValue == nil {
			continue
		}
		if termCtx.HasContainerMapping(key, "@list") {
			m, isMap := expandedValue.(map[string]any)
			_, containsList := m["@list"]
			if !isMap || !containsList {
				if _, isList := expandedValue.([]any); !isList {
					expandedValue = map[string]any{"@list": []any{expandedValue}}
				} else {
					expandedValue = map[string]any{"@list": expandedValue}
				}
			}
		}
		if termCtx.HasContainerMapping(key, "@graph") && !termCtx.HasContainerMapping(key, "@id") && !termCtx.HasContainerMapping(key, "@index") {
			list := ld.Arrayify(expandedValue)
			wrapped := make([]any, 0, len(list))
			for _, ev := range list {
				wrapped = append(wrapped, map[string]any{"@graph": ld.Arrayify(ev)})
			}
			expandedValue = wrapped
		}
		var list []any
		if prev, has := resultMap[expandedProperty]; has {
			list = prev.([]any)
		} else {
			list = make([]any, 0, 1)
		}
		if vl, isList := expandedValue.([]any); isList {
			list = append(list, vl...)
		} else {
			list = append(list, expandedValue)
		}
		resultMap[expandedProperty] = list
	}
	return nil
}
