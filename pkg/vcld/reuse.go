package vcld

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// A presentation's proof is over the whole presentation, its embedded
// credentials and their proofs included; each credential's proof is then
// over the credential without its proof. Under VC 2.0 an embedded
// credential is expanded on an empty active context (the
// verifiableCredential term's scoped context is null, see
// graphContainerLost), exactly as the credential is on its own, so the
// presentation's expanded form already holds the expanded credential with
// its proof. Removing the proof property from that node gives the expanded
// unsecured credential without expanding the credential again: JSON-LD
// expands each member of a node object on its own, given the node's active
// context (its @context and type-scoped contexts), so dropping one member
// drops exactly the properties that member expands to.
//
// That holds only when the member named "proof" expands to the proof
// property and no other member does; unsecuredFromEmbedded checks it
// against the node's active context and otherwise reports that the
// credential must be expanded on its own (the full path, which is always
// correct). The derived form then passes the same safe-mode property count
// the full path applies. Only the canonical form's input is reused: the
// credential's dataset is canonicalised on its own, with its own blank
// node labels.

// proofWork passes expanded forms between the proofs of a presentation
// and those of its embedded credentials, and asks for a verdict to be
// cached (proofcache.go).
type proofWork struct {
	// cacheDoc, when not nil and the processor has a proof cache, is the
	// canonical JSON of the secured document: its verdict is looked up in
	// and added to the cache.
	cacheDoc []byte
	// expanded, when not nil, is the checked expanded form of the unsecured
	// document (see unsecuredFromEmbedded), canonicalised instead of the
	// document.
	expanded []any
	// capture asks for the expanded form of the unsecured document to be
	// kept in captured.
	capture  bool
	captured []any
}

// unsecuredHash is canonicalHash of the unsecured document, through reuse.
func (p *Processor) unsecuredHash(ctx context.Context, unsecured map[string]any, work *proofWork) ([32]byte, error) {
	expanded := work.expanded
	if expanded == nil {
		var err error
		if expanded, err = p.expand(ctx, unsecured); err != nil {
			return [32]byte{}, err
		}
		if work.capture {
			work.captured = expanded
		}
	}
	c, err := p.canonicalExpanded(ctx, expanded)
	if err != nil {
		return [32]byte{}, err
	}
	if p.checkReuse && work.expanded != nil {
		full, err := p.canonicalize(ctx, unsecured)
		if err != nil || full != c {
			return [32]byte{}, fmt.Errorf("vcld: reused expansion gives\n%s\nthe document gives (%v)\n%s", c, err, full)
		}
	}
	return sha256.Sum256([]byte(c)), nil
}

// secProof is the IRI of the proof property (Data Integrity).
const secProof = "https://w3id.org/security#proof"

// embeddedNodes returns, for each item of unsecured's verifiableCredential
// member, the expanded credential node json-gold produced for it in
// expanded (the expanded presentation view), or nil where the item was not
// expanded on an empty context as a credential of its own. unsecured is the
// presentation without its proof; expanded is p.expand of its view.
func (p *Processor) embeddedNodes(unsecured map[string]any, expanded []any) []map[string]any {
	items := asSlice(unsecured["verifiableCredential"])
	if len(items) == 0 || len(expanded) != 1 {
		return nil
	}
	pc, err := p.activeContext(unsecured["@context"])
	if err != nil || !pc.prepared || !pc.wrapEmbeddedCredentials || !pc.embeddedOnEmpty || pc.embeddedIRI == "" {
		return nil
	}
	// The presentation node's own active context must give its
	// verifiableCredential member the null scoped context, and no other
	// member may add to the same property.
	nodeCtx := nodeContext(pc, unsecured)
	if nodeCtx == nil {
		return nil
	}
	if td := nodeCtx.TermDefinitions["verifiableCredential"]; td == nil || td.ID != pc.embeddedIRI || !td.HasContext || td.Context != nil || td.Reverse {
		return nil
	}
	for k := range unsecured {
		if k != "verifiableCredential" && mayExpandTo(nodeCtx, k, pc.embeddedIRI) {
			return nil
		}
	}
	top, ok := expanded[0].(map[string]any)
	if !ok {
		return nil
	}
	graphs, ok := top[pc.embeddedIRI].([]any)
	// Expansion keeps the order of array items and drops only those that
	// expand to nothing: with as many graphs as items, graph i is item i.
	if !ok || len(graphs) != len(items) {
		return nil
	}
	out := make([]map[string]any, len(items))
	for i, it := range items {
		m, isMap := it.(map[string]any)
		if !isMap || isGraphObject(m) || m["@context"] == nil {
			continue
		}
		g, ok := graphs[i].(map[string]any)
		if !ok || len(g) != 1 {
			continue
		}
		nodes, ok := g["@graph"].([]any)
		if !ok || len(nodes) != 1 {
			continue
		}
		node, ok := nodes[0].(map[string]any)
		if !ok {
			continue
		}
		if id, _ := m["id"].(string); id != "" && node["@id"] != id {
			continue // not the node of this item (cannot happen; cheap to rule out)
		}
		out[i] = node
	}
	return out
}

// unsecuredFromEmbedded returns the expanded form of the unsecured
// credential (cred without its proof member) derived from node, the
// credential's expanded node with its proof, or nil when the derivation is
// not known to be exact.
func (p *Processor) unsecuredFromEmbedded(unsecured map[string]any, node map[string]any) []any {
	if node == nil || p.slowContexts {
		return nil
	}
	pc, err := p.activeContext(unsecured["@context"])
	if err != nil || !pc.prepared {
		return nil
	}
	nodeCtx := nodeContext(pc, unsecured)
	if nodeCtx == nil {
		return nil
	}
	if td := nodeCtx.TermDefinitions["proof"]; td == nil || td.ID != secProof || td.Reverse {
		return nil
	}
	for k := range unsecured {
		if mayExpandTo(nodeCtx, k, secProof) {
			return nil
		}
	}
	if _, has := node[secProof]; !has {
		return nil
	}
	out := make(map[string]any, len(node)-1)
	for k, v := range node {
		if k != secProof {
			out[k] = v
		}
	}
	derived := []any{out}
	if hasBlankType(derived) {
		// json-gold's node map generation relabels blank node types in
		// place: the presentation's canonicalisation changed them.
		return nil
	}
	if countRaw(unsecured, pc.idAliases) != countExpanded(derived) || checkTermsRead(unsecured, derived) != nil {
		return nil
	}
	p.reused.Add(1)
	return derived
}

// nodeContext returns the active context json-gold expands the members of
// the top node of doc with: the processed @context, with the type-scoped
// context of the node's type applied when it has one (which the fast
// context holds pre-processed). nil when that is not known here (several
// scoped types, a scoped context that is not pre-processed).
func nodeContext(pc *processedContext, doc map[string]any) *ld.Context {
	c := pc.master
	scoped := 0
	for k, v := range doc {
		if !pc.fast.typeAliases[k] {
			continue
		}
		for _, t := range asSlice(v) {
			s, ok := t.(string)
			if !ok {
				return nil
			}
			td := pc.master.TermDefinitions[s]
			if td == nil || !td.HasContext {
				continue
			}
			sc := pc.fast.scoped[s]
			if sc == nil {
				return nil
			}
			scoped++
			c = sc
		}
	}
	if scoped > 1 {
		return nil
	}
	return c
}

// mayExpandTo reports whether member key of a node could expand to the
// property iri (or to a keyword that carries properties of the node: @nest,
// @included, @reverse, @graph) under c.
func mayExpandTo(c *ld.Context, key, iri string) bool {
	if strings.HasPrefix(key, "@") {
		return key != "@id" && key != "@type" && key != "@context"
	}
	td := c.TermDefinitions[key]
	if td == nil {
		if strings.Contains(key, ":") {
			return true // a compact or absolute IRI
		}
		return c.Values == nil || c.Values.Vocab == nil || *c.Values.Vocab+key == iri
	}
	if td.Reverse || td.ID == iri {
		return true
	}
	return strings.HasPrefix(td.ID, "@") && td.ID != "@id" && td.ID != "@type"
}

// hasBlankType reports whether any node or value of an expanded document
// has a blank node @type.
func hasBlankType(v any) bool {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if hasBlankType(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range t {
			if k == "@type" {
				for _, ty := range asSlice(e) {
					if s, _ := ty.(string); strings.HasPrefix(s, "_:") {
						return true
					}
				}
				continue
			}
			if hasBlankType(e) {
				return true
			}
		}
	}
	return false
}
