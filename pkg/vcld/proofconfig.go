package vcld

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/piprate/json-gold/ld"
)

// Canonicalising a proof configuration (the proof without its value, under
// the document's @context) is half the JSON-LD work of a verification, yet
// for one @context and one set of proof members it differs only in a few
// string values. A template is made once per such shape by canonicalising
// the configuration with placeholder values through the full safe-mode path;
// later configurations of that shape only substitute their values, escaped
// exactly as N-Quads serialisation would. This is sound because the
// configuration is one blank node with single-valued, distinct predicates:
// the canonical label and the line order do not depend on the values.

// templated are the proof members whose values vary per proof.
var templated = map[string]string{
	"created":            "2000-01-01T00:00:00Z",
	"expires":            "2000-01-02T00:00:00Z",
	"verificationMethod": "urn:vcld:template:verification-method",
	"challenge":          "vcld-template-challenge",
	"domain":             "vcld-template-domain",
}

// fastIRISchemes are the schemes a verification method may use on the fast
// path; a compact IRI whose prefix is a term would expand differently.
var fastIRISchemes = map[string]bool{"did": true, "urn": true, "https": true, "http": true}

type configTemplate struct {
	ok    bool
	parts []string // len(slots)+1 pieces around the slots
	slots []string // member names, in text order
	iri   []bool   // slot is an IRI (else a string literal)
}

type templateCache struct {
	mu sync.RWMutex
	m  map[string]*configTemplate
}

func (c *templateCache) get(k string) *configTemplate {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k]
}

func (c *templateCache) put(k string, t *configTemplate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxProcessedContextCacheEntries {
		c.m = make(map[string]*configTemplate)
	}
	c.m[k] = t
}

// canonicalProofConfig returns the canonical N-Quads of cfg.
func (p *Processor) canonicalProofConfig(ctx context.Context, cfg map[string]any) (string, error) {
	_, hasID := cfg["id"]
	_, chained := cfg["previousProof"]
	if hasID || chained {
		// The proof node is named (or carries per-proof references): not
		// the one-blank-node shape templates are made for, and a template
		// per id would churn the cache.
		return p.canonicalize(ctx, cfg)
	}
	key, ok := templateKey(cfg)
	if !ok {
		return p.canonicalize(ctx, cfg)
	}
	t := p.templates.get(key)
	if t == nil {
		if !onlyURLs(cfg["@context"]) {
			// An inline context not (yet) seen repeatedly: a template
			// would cost a second canonicalisation, spent on a context
			// that may never come back. The full path also reports any
			// error.
			if pc, err := p.activeContext(cfg["@context"]); err != nil || !pc.prepared {
				return p.canonicalize(ctx, cfg)
			}
		}
		t = p.makeTemplate(ctx, cfg)
		p.templates.put(key, t)
	}
	if !t.ok {
		return p.canonicalize(ctx, cfg)
	}
	var b strings.Builder
	for i, slot := range t.slots {
		b.WriteString(t.parts[i])
		v := cfg[slot].(string)
		if t.iri[i] {
			scheme, _, _ := strings.Cut(v, ":")
			if !fastIRISchemes[scheme] || !isAbsoluteIRI(v) {
				return p.canonicalize(ctx, cfg)
			}
			writeIRI(&b, v)
		} else {
			writeString(&b, v)
		}
	}
	b.WriteString(t.parts[len(t.slots)])
	return b.String(), nil
}

// templateKey describes the shape of cfg: its @context and members, with
// the values of templated members left out. ok is false when a templated
// member is not a string.
func templateKey(cfg map[string]any) (string, bool) {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := make([]byte, 0, 256)
	for _, k := range keys {
		b = strconv.AppendInt(b, int64(len(k)), 10)
		b = append(append(b, ':'), k...)
		if _, ok := templated[k]; ok {
			if _, isString := cfg[k].(string); !isString {
				return "", false
			}
			b = append(b, '*')
			continue
		}
		// An injective encoding of the value (see valueKey).
		var err error
		if b, err = appendValueKey(append(b, '='), cfg[k]); err != nil {
			return "", false
		}
	}
	return string(b), true
}

func (p *Processor) makeTemplate(ctx context.Context, cfg map[string]any) *configTemplate {
	ph := make(map[string]any, len(cfg))
	for k, v := range cfg {
		ph[k] = v
		if s, ok := templated[k]; ok {
			ph[k] = s
		}
	}
	text, err := p.canonicalize(ctx, ph)
	if err != nil {
		return &configTemplate{}
	}
	pc, err := p.activeContext(cfg["@context"])
	if err != nil {
		return &configTemplate{}
	}
	// A scheme that is also a term (in the context or in the proof type's
	// scoped context) would turn a verification method into a compact IRI.
	contexts := []*ld.Context{pc.master}
	if typ, ok := cfg["type"].(string); ok && pc.fast.scoped[typ] != nil {
		contexts = append(contexts, pc.fast.scoped[typ])
	}
	for _, c := range contexts {
		for s := range fastIRISchemes {
			if _, defined := c.TermDefinitions[s]; defined {
				return &configTemplate{}
			}
		}
	}
	type hit struct {
		at   int
		slot string
		tok  string
		iri  bool
	}
	var hits []hit
	for k, v := range templated {
		if _, present := cfg[k]; !present {
			continue
		}
		var lit, ref strings.Builder
		writeString(&lit, v)
		writeIRI(&ref, v)
		nl, nr := strings.Count(text, lit.String()), strings.Count(text, ref.String())
		switch {
		case nl == 1 && nr == 0:
			hits = append(hits, hit{strings.Index(text, lit.String()), k, lit.String(), false})
		case nr == 1 && nl == 0:
			hits = append(hits, hit{strings.Index(text, ref.String()), k, ref.String(), true})
		default:
			return &configTemplate{}
		}
	}
	if strings.Count(text, "_:") != strings.Count(text, "_:c14n0 ") {
		return &configTemplate{} // more than one blank node: labels could depend on values
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].at < hits[j].at })
	t := &configTemplate{ok: true}
	last := 0
	for _, h := range hits {
		t.parts = append(t.parts, text[last:h.at])
		t.slots = append(t.slots, h.slot)
		t.iri = append(t.iri, h.iri)
		last = h.at + len(h.tok)
	}
	t.parts = append(t.parts, text[last:])
	return t
}
