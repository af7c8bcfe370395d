package vcld

import (
	"github.com/piprate/json-gold/ld"
)

// json-gold re-processes a type-scoped context (VC 2.0's VerifiableCredential
// context has dozens of terms) every time a node of that type is expanded:
// a third of a verification. processContext therefore also builds a "fast"
// active context in which each type term's scoped context is replaced by its
// processed form (json-gold uses a *ld.Context it is handed as is).
//
// That replacement is exact only where the active context, when the type is
// applied, has the content of the document's top-level context, and where at
// most one scoped type applies to a node. fastEligible checks this on the
// raw document before the fast context is used: no embedded @context below
// the top, no object below a key that is a term with a (non-null) scoped
// context, at most one scoped type per node. Tests compare both paths on the canonicalisation
// corpus and a fuzz target compares them on arbitrary documents.

// fastContext describes the fast form of a processed context. It is
// read-only once built; the json-gold contexts themselves live in
// ctxInstance values (see processedContext.instance).
type fastContext struct {
	// scopedTypes are the type terms whose scoped context is pre-processed.
	scopedTypes map[string]bool
	// scopedTerms are all terms, in the context or in a pre-processed
	// scoped context, that carry a scoped context: as a key they disqualify
	// a document from the fast path.
	scopedTerms map[string]bool
	typeAliases map[string]bool
	// nullScoped are terms whose scoped context is null: their values are
	// expanded on an empty context, which the pre-processing cannot touch.
	nullScoped map[string]bool
	// scoped are the processed scoped contexts of scopedTypes, for
	// read-only lookups (never handed to json-gold).
	scoped map[string]*ld.Context
}

// scopedLocal returns the local context json-gold processes for a
// type-scoped term, with the @propagate: false it implies made explicit,
// or false when td's scoped context is not one we pre-process.
func scopedLocal(td *ld.TermDefinition) (map[string]any, bool) {
	if td == nil || !td.HasContext {
		return nil, false
	}
	scoped, isMap := td.Context.(map[string]any)
	if !isMap {
		return nil, false
	}
	if _, has := scoped["@propagate"]; has {
		return nil, false
	}
	local := make(map[string]any, len(scoped)+1)
	for k, v := range scoped {
		local[k] = v
	}
	local["@propagate"] = false // what json-gold passes for a type-scoped context
	return local, true
}

// emptyFastContext pre-processes nothing: the fast path is the slow path.
func emptyFastContext() *fastContext {
	return &fastContext{scopedTypes: map[string]bool{}, scopedTerms: map[string]bool{}, typeAliases: map[string]bool{},
		nullScoped: map[string]bool{}, scoped: map[string]*ld.Context{}}
}

func buildFastContext(master *ld.Context) *fastContext {
	fc := &fastContext{scopedTypes: map[string]bool{}, scopedTerms: map[string]bool{}, typeAliases: map[string]bool{"@type": true},
		nullScoped: map[string]bool{}, scoped: map[string]*ld.Context{}}
	for term, td := range master.TermDefinitions {
		if td == nil {
			continue
		}
		if td.ID == "@type" {
			fc.typeAliases[term] = true
		}
		if !td.HasContext {
			continue
		}
		if td.Context == nil {
			fc.nullScoped[term] = true
			continue
		}
		fc.scopedTerms[term] = true
		local, ok := scopedLocal(td)
		if !ok {
			continue
		}
		processed, err := master.Parse(local)
		if err != nil {
			continue
		}
		for t, std := range processed.TermDefinitions {
			switch {
			case std == nil || !std.HasContext || master.TermDefinitions[t] == std:
			case std.Context == nil:
				fc.nullScoped[t] = true
			default:
				fc.scopedTerms[t] = true
			}
		}
		fc.scopedTypes[term] = true
		fc.scoped[term] = processed
	}
	return fc
}

// ctxInstance is a private set of json-gold contexts for one expansion at
// a time: json-gold writes (the same value) into a *ld.Context it is handed
// (Values.processingMode), so instances are never shared between
// concurrent calls.
type ctxInstance struct {
	slow *ld.Context // the document's processed context
	fast *ld.Context // the same with pre-processed type-scoped contexts
	// previous maps every context of the instance, pre-processed ones
	// included, to the context json-gold reverts to from it (nil: none),
	// for pkg/vcld/internal/ldexpand.
	previous map[*ld.Context]*ld.Context
}

func newInstance(master *ld.Context, fc *fastContext) *ctxInstance {
	in := &ctxInstance{slow: ld.CopyContext(master), fast: ld.CopyContext(master)}
	in.previous = map[*ld.Context]*ld.Context{in.slow: nil, in.fast: nil}
	for term := range fc.scopedTypes {
		td := in.fast.TermDefinitions[term]
		local, _ := scopedLocal(td)
		processed, err := in.fast.Parse(local) // previousContext: in.fast, with the substitutions
		if err != nil {
			continue
		}
		// A type-scoped context reverts to in.fast (json-gold's
		// previousContext); a property-scoped one within it to a copy of
		// in.fast taken while it was being built, which ldexpand never
		// reverts to (fastEligible: no object below a scoped term).
		in.previous[processed] = in.fast
		for _, pc := range preprocessPropertyScoped(processed, master) {
			in.previous[pc] = in.fast
		}
		sub := td.Copy()
		sub.Context = processed
		in.fast.TermDefinitions[term] = sub
	}
	return in
}

// preprocessPropertyScoped replaces, in a pre-processed type-scoped context
// c, the scoped contexts of the terms c itself defines (Data Integrity's
// proofPurpose, whose context names the verification relationships) by
// their processed form over c. json-gold applies a property-scoped context
// to the active context when it meets the term as a key; on the fast path
// that active context is c itself: a node of c's type takes exactly c
// (json-gold uses a *ld.Context it is handed as is), and fastEligible rules
// out what would change it below the node (a second scoped type, an
// embedded @context, an object below a scoped term). json-gold processes
// property-scoped contexts allowing protected terms to be redefined; Parse
// does not, so a context that redefines one differently fails here and is
// left as it is.
func preprocessPropertyScoped(c, master *ld.Context) (processedContexts []*ld.Context) {
	for term, td := range c.TermDefinitions {
		if td == nil || !td.HasContext || master.TermDefinitions[term] == td {
			continue
		}
		local, isMap := td.Context.(map[string]any)
		if !isMap {
			continue
		}
		processed, err := c.Parse(local)
		if err != nil {
			continue
		}
		sub := td.Copy()
		sub.Context = processed
		c.TermDefinitions[term] = sub
		processedContexts = append(processedContexts, processed)
	}
	return processedContexts
}

// fastEligible reports whether doc may be expanded with the fast context.
func (fc *fastContext) fastEligible(doc map[string]any) bool {
	return fc != nil && fc.eligible(doc, true)
}

func (fc *fastContext) eligible(v any, top bool) bool {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if !fc.eligible(e, false) {
				return false
			}
		}
	case map[string]any:
		scopedTypes := 0
		for k, e := range t {
			if k == "@context" {
				if !top {
					return false
				}
				continue
			}
			if fc.scopedTerms[k] {
				// The key's scoped context only matters to nodes below it;
				// scalar values (proofPurpose: "assertionMethod") are
				// expanded the same either way.
				if hasObject(e) {
					return false
				}
				continue
			}
			if fc.nullScoped[k] && !fc.scopedTerms[k] {
				continue // expanded on an empty context: independent of ours
			}
			if fc.typeAliases[k] {
				for _, ty := range asSlice(e) {
					if s, ok := ty.(string); ok && fc.scopedTypes[s] {
						scopedTypes++
					}
				}
				continue
			}
			if !fc.eligible(e, false) {
				return false
			}
		}
		if scopedTypes > 1 {
			return false
		}
	}
	return true
}

// hasObject reports whether v is or contains a JSON object.
func hasObject(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return true
	case []any:
		for _, e := range t {
			if hasObject(e) {
				return true
			}
		}
	}
	return false
}
