package vcld

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// checkNoRedefinition refuses a @context list in which a context changes the definition of a
// term that an earlier context of the list defined. JSON-LD allows it for terms that are not
// protected, but the statements a document makes do not record which names it used: a holder
// could append a context giving two of the issuer's claim names each other's IRIs and swap
// their values, and the signature would still verify while every reader of the claims by name
// read them swapped. Defining the same term again identically (as the Data Integrity context
// does with the VC 2.0 context's proof terms) is allowed.
func (p *Processor) checkNoRedefinition(ctxVal any) error {
	list, ok := ctxVal.([]any)
	if !ok || len(list) < 2 {
		return nil
	}
	active := ld.NewContext(nil, p.ldOptions())
	for i, e := range list {
		prev := active
		var err error
		if active, err = prev.Parse(e); err != nil {
			return contextError(err)
		}
		if i == 0 {
			continue
		}
		for term, td := range prev.TermDefinitions {
			if td == nil {
				continue
			}
			if nd := active.TermDefinitions[term]; nd == nil || !sameDefinition(td, nd) {
				return fmt.Errorf("vcld: @context entry %d redefines the term %q of an earlier context: %w", i, term, ErrUnsafeDocument)
			}
		}
	}
	return nil
}

// sameDefinition reports whether two term definitions are the same but for protection.
func sameDefinition(a, b *ld.TermDefinition) bool {
	return a.ID == b.ID && a.Reverse == b.Reverse && a.Type == b.Type && a.Nest == b.Nest && a.Index == b.Index &&
		slices.Equal(a.Container, b.Container) && a.HasContext == b.HasContext && reflect.DeepEqual(a.Context, b.Context) &&
		reflect.DeepEqual(a.Prefix, b.Prefix) && a.HasDirection == b.HasDirection && reflect.DeepEqual(a.Direction, b.Direction) &&
		a.HasLanguage == b.HasLanguage && reflect.DeepEqual(a.Language, b.Language)
}

// checkInlineContexts applies checkInlineTerms to every @context of the decoded document v, the
// top-level one and those embedded in its nodes. Verification applies it, not signing: an
// issuer may name its terms as it likes, but a document whose inline contexts could have been
// rewritten to change what its names mean is not read by name.
func checkInlineContexts(v any) error {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if err := checkInlineContexts(e); err != nil {
				return err
			}
		}
	case map[string]any:
		if _, ok := t["@value"]; ok {
			return nil
		}
		for k, e := range t {
			if k == "@context" {
				if err := checkInlineTerms(e); err != nil {
					return err
				}
				continue
			}
			if err := checkInlineContexts(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkInlineTerms refuses a term of an inline context (a JSON object in @context, at any depth
// of scoped contexts) that is not named after its IRI: the IRI, compact IRI or term it maps to
// must end in "#<term>", "/<term>" or ":<term>", or be a prefix (end in '#', '/' or ':').
// Unlike a context named by URL, whose content is pinned, an inline context travels unsigned
// with the document: without this rule a holder could map the issuer's claim names onto each
// other's IRIs (or alias a keyword such as @id) and swap the values, keeping the statements and
// the signature while readers of the claims by name read them swapped. "id" and "type" may
// alias @id and @type, and a term may alias @nest.
func checkInlineTerms(ctxVal any) error {
	for _, c := range ld.Arrayify(ctxVal) {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		for term, def := range m {
			if term == "" || term[0] == '@' {
				continue
			}
			var target string
			switch d := def.(type) {
			case string:
				target = d
			case map[string]any:
				if s, ok := d["@id"].(string); ok {
					target = s
				} else if s, ok := d["@reverse"].(string); ok {
					target = s
				}
				if scoped, ok := d["@context"]; ok {
					if err := checkInlineTerms(scoped); err != nil {
						return err
					}
				}
			}
			if target == "" || namedAfter(term, target) {
				continue
			}
			return fmt.Errorf("vcld: inline context maps the term %q to %q, which is not named after it: %w", term, target, ErrUnsafeDocument)
		}
	}
	return nil
}

// namedAfter reports whether the term may map to target in an inline context.
func namedAfter(term, target string) bool {
	switch target {
	case "@id":
		return term == "id"
	case "@type":
		return term == "type"
	case "@nest":
		return true
	}
	if strings.HasPrefix(target, "@") {
		return false
	}
	i := strings.LastIndexAny(target, "#/:")
	return i == len(target)-1 || i >= 0 && target[i+1:] == term
}
