package vcld

import (
	"fmt"
	"reflect"
	"slices"

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
