package vcld

import (
	"fmt"
	"strings"
)

// termsRead are members that readers of a document take from its JSON by name, not from its
// RDF statements, and whose absence loosens a check: a credential's status and validity
// dates, a presentation's holder, a proof's expiry. A holder of a signed document could spell
// one otherwise (its absolute or compact IRI, a term of an added context mapped to the same
// IRI, under @nest) or move it to another node object naming the same subject (@included):
// the statements, and so the signature, stay the same while the JSON reader finds no status
// or no end of validity. checkTermsRead refuses those documents.
var termsRead = [...]struct{ term, iri string }{
	{"credentialStatus", credNS + "credentialStatus"},
	{"validFrom", credNS + "validFrom"},
	{"validUntil", credNS + "validUntil"},
	{"issuanceDate", credNS + "issuanceDate"},
	{"expirationDate", credNS + "expirationDate"},
	{"holder", credNS + "holder"},
	{"expires", "https://w3id.org/security#expiration"},
}

// credNS is the namespace of the VC vocabulary (both data model versions).
const credNS = "https://www.w3.org/2018/credentials#"

// termRead returns the index of name in termsRead, or -1.
func termRead(name string) int {
	switch name {
	case "credentialStatus":
		return 0
	case "validFrom":
		return 1
	case "validUntil":
		return 2
	case "issuanceDate":
		return 3
	case "expirationDate":
		return 4
	case "holder":
		return 5
	case "expires":
		return 6
	}
	return -1
}

// iriRead returns the index of the IRI iri in termsRead, or -1.
func iriRead(iri string) int {
	if len(iri) <= len(credNS) || iri[:len(credNS)] != credNS {
		if iri == termsRead[6].iri {
			return 6
		}
		return -1
	}
	return termRead(iri[len(credNS):])
}

// checkTermsRead checks expanded, the expanded form of doc, against the members of termsRead:
// the top node of the document states such a property only under the member's own name, with
// as many values, and the whole document states it no more often than it has members of that
// name. A term another context maps elsewhere is left alone.
func checkTermsRead(doc map[string]any, expanded []any) error {
	var raw, exp [len(termsRead)]int
	countTermsRaw(doc, &raw)
	countTermsExpanded(expanded, &exp)
	var top map[string]any
	if len(expanded) == 1 {
		top, _ = expanded[0].(map[string]any)
	}
	if top != nil {
		if err := checkSubjectIDs(doc["credentialSubject"], top[credNS+"credentialSubject"]); err != nil {
			return err
		}
	}
	for i, t := range termsRead {
		if exp[i] > raw[i] {
			return fmt.Errorf("vcld: %s is stated %d times but the document has %d %q members (spelt otherwise, or moved to another node): %w",
				t.iri, exp[i], raw[i], t.term, ErrUnsafeDocument)
		}
		if top == nil {
			continue
		}
		if n, ok := top[t.iri].([]any); ok && len(n) != rawValues(doc[t.term]) {
			return fmt.Errorf("vcld: the document's node states %s %d times but its %q member has %d values: %w",
				t.iri, len(n), t.term, rawValues(doc[t.term]), ErrUnsafeDocument)
		}
	}
	return nil
}

// countTermsRaw adds the values of the members of termsRead in v, outside @context values and
// the insides of value objects, to n.
func countTermsRaw(v any, n *[len(termsRead)]int) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			countTermsRaw(e, n)
		}
	case map[string]any:
		if isRawValueObject(t) {
			return
		}
		for k, e := range t {
			if k == "@context" {
				continue
			}
			if i := termRead(k); i >= 0 {
				n[i] += rawValues(e)
			}
			countTermsRaw(e, n)
		}
	}
}

// rawValues is the number of values a member's JSON value holds: none for null, the non-null
// items of an array, the items of a set object, else one.
func rawValues(v any) int {
	switch t := v.(type) {
	case nil:
		return 0
	case []any:
		k := 0
		for _, e := range t {
			if e != nil {
				k++
			}
		}
		return k
	case map[string]any:
		if s, ok := t["@set"]; ok && len(t) == 1 {
			return rawValues(s)
		}
	}
	return 1
}

// countTermsExpanded adds the values of the properties of termsRead in expanded JSON-LD v to n.
func countTermsExpanded(v any, n *[len(termsRead)]int) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			countTermsExpanded(e, n)
		}
	case map[string]any:
		if _, ok := t["@value"]; ok {
			return
		}
		for k, e := range t {
			if i := iriRead(k); i >= 0 {
				if vals, ok := e.([]any); ok {
					n[i] += len(vals)
				} else {
					n[i]++
				}
			}
			countTermsExpanded(e, n)
		}
	}
}

// checkSubjectIDs checks that each credential subject names its identifier under "id": readers
// take the subject from that member (holder binding compares it with the presenter), and a
// subject written with "@id" or another alias of it would state the same, keep the signature,
// and pass for a subject without an identifier. raw is the credentialSubject member of the
// document, nodes the expanded values of the property.
func checkSubjectIDs(raw, nodes any) error {
	expanded, _ := nodes.([]any)
	if len(expanded) == 0 {
		return nil
	}
	var items []any
	for _, it := range asSlice(raw) {
		if it != nil {
			items = append(items, it)
		}
	}
	if len(items) != len(expanded) {
		return fmt.Errorf("vcld: %d credential subjects stated but %d in the credentialSubject member: %w", len(expanded), len(items), ErrUnsafeDocument)
	}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		n, _ := expanded[i].(map[string]any)
		id, _ := n["@id"].(string)
		if id == "" || strings.HasPrefix(id, "_:") {
			continue
		}
		if s, _ := m["id"].(string); s != id {
			return fmt.Errorf("vcld: credential subject %q is not named by its id member: %w", id, ErrUnsafeDocument)
		}
	}
	return nil
}
