package vcld

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/piprate/json-gold/ld"

	"github.com/idport/idport/pkg/jsontext"
	"github.com/idport/idport/pkg/vcld/internal/ldexpand"
)

// trapVocab is appended as "@vocab" to every document context that defines
// no vocabulary of its own. json-gold silently drops terms that do not
// expand; with the trap they expand under this IRI instead, and safe mode
// refuses any IRI that starts with it.
const trapVocab = "urn:idport:vcld:undefined-term:"

// Limits bound the work spent on one document before and during
// canonicalisation. Zero fields take the defaults.
type Limits struct {
	// MaxDocumentBytes is the largest accepted JSON input (default 256 KiB).
	MaxDocumentBytes int
	// MaxDepth is the deepest JSON nesting accepted (default 32).
	MaxDepth int
	// MaxBlankNodes is the most blank nodes in the RDF dataset (default 128).
	MaxBlankNodes int
	// MaxQuads is the most quads in the RDF dataset (default 4096).
	MaxQuads int
	// WorkFactor bounds RDFC-1.0's n-degree search as rdf-canonize's
	// maxWorkFactor does (default 1, its default): at most n^WorkFactor
	// Hash N-Degree Quads calls, n being the number of blank nodes whose
	// first-degree hash is not unique. A blank-node clique, the classic
	// poison, is refused fast.
	WorkFactor int
	// Timeout bounds one Sign or Verify call on top of the caller's context
	// (default 2 s).
	Timeout time.Duration
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxDocumentBytes, 256<<10)
	def(&l.MaxDepth, 32)
	def(&l.MaxBlankNodes, 128)
	def(&l.MaxQuads, 4096)
	def(&l.WorkFactor, 1)
	if l.Timeout <= 0 {
		l.Timeout = 2 * time.Second
	}
	return l
}

// Options configure a Processor.
type Options struct {
	// Contexts are extra JSON-LD context documents (URL -> JSON bytes with a
	// top-level @context member), e.g. an idport credential-type context.
	// They join the pinned contexts; nothing is ever fetched.
	Contexts map[string][]byte
	// Limits bound the processing of one document.
	Limits Limits
	// Now is the clock used for proof creation times (default time.Now).
	Now func() time.Time
	// Ed25519Signature2020 makes Ed25519Signature2020 proofs
	// (pkg/vcld/ariessign). Without it, signing that suite fails with
	// ErrUnsupportedSuite; verifying it needs nothing.
	Ed25519Signature2020 ProofMaker
	// CheckSigner, when set, checks the verification method against the
	// signer's key before a proof of any suite is made.
	CheckSigner SignerCheck
	// ProofCacheSize, when positive, keeps the verdicts of that many
	// verified credentials (least recently used dropped first), so that a
	// credential presented again skips its canonicalisation and signature
	// checks (see proofcache.go for what is still checked). Zero: no cache.
	ProofCacheSize int
}

// Processor signs and verifies JSON-LD credentials and presentations with
// Data Integrity proofs. It is safe for concurrent use; build one and reuse
// it, since it caches processed JSON-LD contexts.
type Processor struct {
	loader *loader
	limits Limits
	now    func() time.Time
	cache  contextCache
	// templates hold canonical proof configurations per shape.
	templates templateCache
	// slowContexts disables the pre-processed type-scoped contexts (tests
	// compare both paths).
	slowContexts bool
	// goldExpansion expands every document and builds every node map with
	// json-gold, never with ldexpand (tests compare both).
	goldExpansion bool
	// ownExpansions counts the expansions made by ldexpand (tests).
	ownExpansions atomic.Int64
	// empty is the empty active context ldexpand starts from.
	empty *ld.Context
	// checkReuse makes every reused expansion (reuse.go) be checked against
	// the document's own canonical form (tests).
	checkReuse bool
	// reused counts the credential expansions taken from a presentation's
	// (reuse.go), for tests.
	reused atomic.Int64
	// makers make the proofs of suites this package does not sign itself.
	makers map[Suite]ProofMaker
	// checkSigner is Options.CheckSigner.
	checkSigner SignerCheck
	// proofs caches verified credentials (nil: off).
	proofs *proofCache
}

// New returns a Processor over the pinned contexts plus o.Contexts.
func New(o Options) (*Processor, error) {
	l, err := newLoader(o.Contexts)
	if err != nil {
		return nil, err
	}
	p := &Processor{loader: l, limits: o.Limits.withDefaults(), now: o.Now, checkSigner: o.CheckSigner, proofs: newProofCache(o.ProofCacheSize)}
	p.empty = ld.NewContext(nil, p.ldOptions())
	if o.Ed25519Signature2020 != nil {
		p.makers = map[Suite]ProofMaker{Ed25519Signature2020: o.Ed25519Signature2020}
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

var defaultProcessor = sync.OnceValue(func() *Processor {
	p, err := New(Options{})
	if err != nil {
		panic(err) // pinned contexts are embedded; cannot fail
	}
	return p
})

// Default returns a shared Processor with the pinned contexts only and
// default limits.
func Default() *Processor { return defaultProcessor() }

func (p *Processor) ldOptions() *ld.JsonLdOptions {
	o := ld.NewJsonLdOptions("")
	o.ProcessingMode = ld.JsonLd_1_1
	o.DocumentLoader = p.loader
	o.Algorithm = "URDNA2015"
	o.Format = "application/n-quads"
	o.SafeMode = true
	return o
}

// decode parses JSON input under the size and depth limits into the generic
// form json-gold works on.
func (p *Processor) decode(b []byte) (map[string]any, error) {
	if len(b) > p.limits.MaxDocumentBytes {
		return nil, fmt.Errorf("vcld: document is %d bytes, limit %d: %w", len(b), p.limits.MaxDocumentBytes, ErrTooComplex)
	}
	// One pass; checkDepth and encoding/json when it fails, for the error.
	if v, ok := jsontext.Decode(b, p.limits.MaxDepth, true); ok {
		if doc, isMap := v.(map[string]any); isMap {
			return doc, nil
		}
	}
	// The checked path, for its errors.
	if err := checkDepth(b, p.limits.MaxDepth); err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("vcld: decode document: %v: %w", err, ErrMalformed)
	}
	if doc == nil {
		return nil, fmt.Errorf("vcld: document is not a JSON object: %w", ErrMalformed)
	}
	return doc, nil
}

// checkDepth refuses, before anything is built, JSON nested deeper than
// max and objects with a repeated member name. Parsers disagree on which of
// two equal names wins (Go and JavaScript take the last, others the first),
// so a duplicate could make the verified document differ from the one a
// caller reads. Syntax errors are left to the decoder.
func checkDepth(b []byte, max int) error {
	type frame struct {
		object    bool
		expectKey bool
		keys      jsontext.Names
	}
	stack := make([]frame, 0, 16)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			j := i + 1
			escaped := false
			for ; j < len(b); j++ {
				if b[j] == '\\' {
					j++
					escaped = true
					continue
				}
				if b[j] == '"' {
					break
				}
			}
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey && j < len(b) {
				key := string(b[i+1 : j])
				// Compared as decoded: invalid UTF-8 becomes U+FFFD, so names
				// that differ only there are the same member once decoded.
				if escaped || !utf8.ValidString(key) {
					var k string
					if err := json.Unmarshal(b[i:j+1], &k); err == nil {
						key = k
					}
				}
				if !stack[n-1].keys.Add(key) {
					return fmt.Errorf("vcld: member %q appears twice in one object: %w", key, ErrMalformed)
				}
				stack[n-1].expectKey = false
			}
			i = j
		case '{', '[':
			if len(stack) >= max {
				return fmt.Errorf("vcld: JSON nested deeper than %d: %w", max, ErrTooComplex)
			}
			stack = append(stack, frame{object: c == '{', expectKey: c == '{'})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].expectKey = true
			}
		}
	}
	return nil
}

// activeContext returns the processed active context for a document's
// @context value, with the undefined-term trap appended when the context has
// no @vocab of its own. Results are cached by the JSON of the value.
func (p *Processor) activeContext(ctxVal any) (*processedContext, error) {
	key, err := valueKey(ctxVal)
	if err != nil {
		return nil, fmt.Errorf("vcld: @context: %v: %w", err, ErrMalformed)
	}
	if pc, ok := p.cache.get(key); ok {
		if pc.err == nil && !pc.prepared && pc.uses.Add(1) == prepareAfterUses {
			pc = pc.withFastContext()
			p.cache.put(key, pc)
		}
		return pc, pc.err
	}
	pc := &processedContext{}
	pc.master, pc.err = p.processContext(ctxVal)
	if pc.err == nil {
		pc.idAliases = map[string]bool{"@id": true}
		for term, td := range pc.master.TermDefinitions {
			if td != nil && td.ID == "@id" {
				pc.idAliases[term] = true
			}
		}
		pc.wrapEmbeddedCredentials, pc.embeddedOnEmpty, pc.embeddedIRI = graphContainerLost(pc.master)
		pc.value = ctxVal
		if onlyURLs(ctxVal) {
			pc = pc.withFastContext()
		} else {
			// Inline contexts are attacker-chosen and often sent once: they
			// are pre-processed only once they are used again (activeContext
			// counts the uses), so a context that never repeats costs no
			// pre-processing.
			pc.fast = emptyFastContext()
			pc.instances = make(chan *ctxInstance, 2*runtime.GOMAXPROCS(0))
		}
	}
	// Failures are properties of the context value alone, so they cache too.
	p.cache.put(key, pc)
	return pc, pc.err
}

// valueKey returns an injective encoding of a decoded JSON value for cache
// keys (every item tagged with its kind, strings and collections
// length-prefixed, object members sorted by name), written without
// encoding/json.
func valueKey(v any) (string, error) {
	b, err := appendValueKey(make([]byte, 0, 512), v)
	return string(b), err
}

func appendValueKey(b []byte, v any) ([]byte, error) {
	appendString := func(b []byte, tag byte, s string) []byte {
		b = strconv.AppendInt(append(b, tag), int64(len(s)), 10)
		return append(append(b, ':'), s...)
	}
	switch t := v.(type) {
	case nil:
		return append(b, 'n'), nil
	case bool:
		if t {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case string:
		return appendString(b, 's', t), nil
	case float64:
		return strconv.AppendFloat(append(b, 'd'), t, 'g', -1, 64), nil
	case []any:
		b = strconv.AppendInt(append(b, 'a'), int64(len(t)), 10)
		b = append(b, ':')
		for _, e := range t {
			var err error
			if b, err = appendValueKey(b, e); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = strconv.AppendInt(append(b, 'o'), int64(len(t)), 10)
		b = append(b, ':')
		for _, k := range keys {
			b = appendString(b, 'k', k)
			var err error
			if b, err = appendValueKey(b, t[k]); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return appendString(b, 'j', string(j)), nil
}

// prepareAfterUses is the number of further uses (lookups in the context
// cache) after which an inline context is pre-processed for the fast path
// and for proof configuration templates. One verification of a credential
// looks its context up two or three times, so a context must come back in
// another document before it is prepared: sending a new inline context
// with every request does not buy the sender the pre-processing work
// (TestInlineContextPreparedOnlyWhenItComesBack).
const prepareAfterUses = 4

// withFastContext returns a copy of pc (which must be built without error)
// with its type-scoped contexts pre-processed (see fastctx.go) and an
// empty pool of instances. The master context is shared: it is read-only.
func (pc *processedContext) withFastContext() *processedContext {
	out := &processedContext{
		master:                  pc.master,
		idAliases:               pc.idAliases,
		wrapEmbeddedCredentials: pc.wrapEmbeddedCredentials,
		embeddedOnEmpty:         pc.embeddedOnEmpty,
		embeddedIRI:             pc.embeddedIRI,
		value:                   pc.value,
		fast:                    buildFastContext(pc.master),
		prepared:                true,
		instances:               make(chan *ctxInstance, 2*runtime.GOMAXPROCS(0)),
	}
	return out
}

func (p *Processor) processContext(ctxVal any) (*ld.Context, error) {
	if err := checkContextValue(ctxVal); err != nil {
		return nil, err
	}
	if err := p.checkNoRedefinition(ctxVal); err != nil {
		return nil, err
	}
	opts := p.ldOptions()
	base := ld.NewContext(nil, opts)
	active, err := base.Parse(ctxVal)
	if err != nil {
		return nil, contextError(err)
	}
	if active.Values != nil && active.Values.Vocab != nil {
		return active, nil
	}
	withTrap := append(ld.Arrayify(ld.CloneDocument(ctxVal)), map[string]any{"@vocab": trapVocab})
	active, err = base.Parse(withTrap)
	if err != nil {
		return nil, contextError(err)
	}
	return active, nil
}

func checkContextValue(v any) error {
	switch c := v.(type) {
	case nil:
		return fmt.Errorf("vcld: document has no @context: %w", ErrMalformed)
	case string, map[string]any:
		return nil
	case []any:
		if len(c) == 0 {
			return fmt.Errorf("vcld: empty @context: %w", ErrMalformed)
		}
		for _, e := range c {
			switch e.(type) {
			case string, map[string]any:
			default:
				return fmt.Errorf("vcld: @context entry of type %T: %w", e, ErrMalformed)
			}
		}
		return nil
	default:
		return fmt.Errorf("vcld: @context of type %T: %w", v, ErrMalformed)
	}
}

// contextError maps json-gold context failures to our classes, keeping the
// loader's ErrContextNotAllowed visible.
func contextError(err error) error {
	var lde *ld.JsonLdError
	if errors.As(err, &lde) && lde.Code == ld.LoadingRemoteContextFailed {
		return fmt.Errorf("vcld: %s: %w", lde.Details, ErrContextNotAllowed)
	}
	if errors.Is(err, ErrContextNotAllowed) {
		return err
	}
	return fmt.Errorf("vcld: process @context: %v: %w", err, ErrUnsafeDocument)
}

// canonicalize returns the RDFC-1.0 (URDNA2015) canonical N-Quads of doc, in
// safe mode and within the processor's limits. doc is not modified.
func (p *Processor) canonicalize(ctx context.Context, doc map[string]any) (string, error) {
	expanded, err := p.expand(ctx, doc)
	if err != nil {
		return "", err
	}
	return p.canonicalExpanded(ctx, expanded)
}

// expand returns the expanded form of doc, checked in safe mode: every
// property and type an absolute IRI, as many properties as the document
// has. doc is not modified.
func (p *Processor) expand(ctx context.Context, doc map[string]any) (_ []any, err error) {
	// json-gold type-asserts its way through documents; a shape it does not
	// expect must be a refused input, not a crashed process.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vcld: JSON-LD processing failed: %v: %w", r, ErrUnsafeDocument)
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vcld: canonicalize: %w: %w", ErrTooComplex, err)
	}
	active, err := p.activeContext(doc["@context"])
	if err != nil {
		return nil, err
	}
	if err := checkKeys(doc); err != nil {
		return nil, err
	}
	in := make(map[string]any, len(doc))
	for k, v := range doc {
		in[k] = v
	}
	// json-gold uses a *Context it is handed as is (no re-processing).
	inst := active.instance()
	in["@context"] = inst.slow
	fast := !p.slowContexts && active.fast.fastEligible(doc)
	if fast {
		in["@context"] = inst.fast
	}
	used := []*ctxInstance{inst}
	releases := substituteEmbedded(in, p.slowContexts, &used)
	var expanded []any
	if fast && !p.goldExpansion {
		// Pre-processed contexts: expanded without json-gold's context
		// copies; anything outside ldexpand's subset, and any error, goes
		// to json-gold.
		if ours, err := ldexpand.Expand(in, &expansionContexts{empty: p.empty, instances: used}); err == nil {
			expanded = ours
			p.ownExpansions.Add(1)
		}
	}
	if expanded == nil {
		expanded, err = ld.NewJsonLdProcessor().Expand(in, p.ldOptions())
	}
	active.release(inst) // not reached after a panic: the instances are dropped
	for _, r := range releases {
		r()
	}
	if err != nil {
		return nil, expandError(err)
	}
	if err := checkExpanded(expanded); err != nil {
		return nil, err
	}
	if nr, ne := countRaw(doc, active.idAliases), countExpanded(expanded); nr != ne {
		return nil, fmt.Errorf("vcld: %d properties in the document but %d after JSON-LD expansion (a term maps to nothing or two terms collide): %w", nr, ne, ErrUnsafeDocument)
	}
	if err := checkTermsRead(doc, expanded); err != nil {
		return nil, err
	}
	return expanded, nil
}

// canonicalExpanded returns the canonical N-Quads of a checked expanded
// document (see expand). json-gold's node map generation rewrites the
// @type members of expanded nodes in place (the same values, blank node
// types relabelled).
func (p *Processor) canonicalExpanded(ctx context.Context, expanded []any) (_ string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vcld: JSON-LD processing failed: %v: %w", r, ErrUnsafeDocument)
		}
	}()
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("vcld: canonicalize: %w: %w", ErrTooComplex, err)
	}
	quads, err := toDataset(expanded, p.limits.MaxQuads, p.goldExpansion)
	if err != nil {
		return "", err
	}
	return canonicalNQuads(ctx, quads, p.limits.MaxBlankNodes, p.limits.WorkFactor)
}

func expandError(err error) error {
	var lde *ld.JsonLdError
	if errors.As(err, &lde) {
		switch lde.Code {
		case ld.LoadingRemoteContextFailed, ld.LoadingDocumentFailed:
			return fmt.Errorf("vcld: expand: %v: %w", lde.Details, ErrContextNotAllowed)
		}
	}
	return fmt.Errorf("vcld: expand: %v: %w", err, ErrUnsafeDocument)
}

// jsonLDKeywords are the keywords of JSON-LD 1.1. Other keys of the form
// "@" + letters are ignored by JSON-LD processors, so they could carry
// unsigned data: safe mode refuses them.
var jsonLDKeywords = map[string]bool{
	"@base": true, "@container": true, "@context": true, "@direction": true, "@graph": true,
	"@id": true, "@import": true, "@included": true, "@index": true, "@json": true,
	"@language": true, "@list": true, "@nest": true, "@none": true, "@prefix": true,
	"@propagate": true, "@protected": true, "@reverse": true, "@set": true, "@type": true,
	"@value": true, "@version": true, "@vocab": true,
}

// checkKeys walks the raw document and refuses keyword-like keys that are
// not keywords, empty keys and arrays nested in arrays.
func checkKeys(v any) error {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if k == "" {
				return fmt.Errorf("vcld: empty key: %w", ErrUnsafeDocument)
			}
			if k[0] == '@' && !jsonLDKeywords[k] {
				return fmt.Errorf("vcld: key %q looks like a JSON-LD keyword but is not one: %w", k, ErrUnsafeDocument)
			}
			if k == "@context" {
				continue
			}
			if err := checkKeys(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if _, nested := e.([]any); nested {
				// Lists of lists: json-gold drops nested arrays that
				// jsonld.js keeps, so the two would sign different data.
				return fmt.Errorf("vcld: array nested directly in an array: %w", ErrUnsafeDocument)
			}
			if err := checkKeys(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkExpanded enforces safe mode on expanded JSON-LD: every property and
// type is an absolute IRI that did not fall through to the trap vocabulary,
// every @id is absolute or a blank node.
func checkExpanded(v any) error {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if err := checkExpanded(e); err != nil {
				return err
			}
		}
	case map[string]any:
		if _, ok := t["@value"]; ok {
			if dt, ok := t["@type"].(string); ok && dt != "@json" {
				if err := checkIRI("datatype", dt, false); err != nil {
					return err
				}
			}
			return nil
		}
		for k, e := range t {
			switch k {
			case "@id":
				s, _ := e.(string)
				if err := checkIRI("@id", s, true); err != nil {
					return err
				}
			case "@type":
				for _, ty := range ld.Arrayify(e) {
					s, _ := ty.(string)
					if err := checkIRI("type", s, true); err != nil {
						return err
					}
				}
			default:
				if k[0] != '@' {
					if err := checkIRI("property", k, false); err != nil {
						return err
					}
				}
				if err := checkExpanded(e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkIRI(what, s string, blankOK bool) error {
	switch {
	case strings.HasPrefix(s, trapVocab):
		return fmt.Errorf("vcld: %s %q is not defined by any context: %w", what, strings.TrimPrefix(s, trapVocab), ErrUnsafeDocument)
	case strings.HasPrefix(s, "_:"):
		if !blankOK {
			return fmt.Errorf("vcld: %s %q is a blank node: %w", what, s, ErrUnsafeDocument)
		}
		return nil
	case !isAbsoluteIRI(s):
		return fmt.Errorf("vcld: %s %q is not an absolute IRI: %w", what, s, ErrUnsafeDocument)
	}
	return nil
}

// isAbsoluteIRI is jsonld.js's test (url.isAbsolute): a scheme matching
// [A-Za-z][A-Za-z0-9+,-.]* (its character class really includes ','), a
// colon, and no whitespace anywhere.
func isAbsoluteIRI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case j > 0 && (c >= '0' && c <= '9' || c >= '+' && c <= '.'):
		default:
			return false
		}
	}
	return !hasJSSpace(s)
}

// hasJSSpace is strings.ContainsFunc(s, isJSSpace), byte by byte while s
// is ASCII.
func hasJSSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			return strings.ContainsFunc(s[i:], isJSSpace)
		case c == ' ' || c >= '\t' && c <= '\r':
			return true
		}
	}
	return false
}

// isJSSpace is JavaScript's \s.
func isJSSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// countRaw counts the (key, non-null value) pairs of every object of the raw
// document that JSON-LD turns into a property or a type, skipping @context
// values, identifiers and the insides of value objects.
func countRaw(v any, idAliases map[string]bool) int {
	n := 0
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			n += countRaw(e, idAliases)
		}
	case map[string]any:
		if isRawValueObject(t) {
			return 0
		}
		for k, e := range t {
			if k == "@context" || e == nil || idAliases[k] {
				continue
			}
			switch k {
			case "@graph", "@list", "@set", "@included", "@nest":
				// transparent in expanded form
			default:
				n++
			}
			n += countRaw(e, idAliases)
		}
	}
	return n
}

func isRawValueObject(m map[string]any) bool {
	_, ok := m["@value"]
	return ok
}

// countExpanded counts the properties and @type members of expanded node
// objects; value objects count as nothing, graph and list wrappers are
// transparent.
func countExpanded(v any) int {
	n := 0
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			n += countExpanded(e)
		}
	case map[string]any:
		if _, ok := t["@value"]; ok {
			return 0
		}
		for k, e := range t {
			switch k {
			case "@id":
			case "@graph", "@list", "@set", "@included":
				n += countExpanded(e)
			case "@index", "@reverse":
				n++
				n += countExpanded(e)
			default:
				n++
				n += countExpanded(e)
			}
		}
	}
	return n
}

// graphContainerLost reports whether, in a presentation under active, the
// verifiableCredential term is a graph container with a property-scoped
// context of its own. json-gold (to v0.9.1) checks container mappings
// against the property-scoped context, where the term is not defined, so
// it drops "@container": "@graph" (VC 2.0's term has "@context": null).
//
// onEmpty reports that this scoped context is null: an embedded credential
// is then processed on an empty active context, exactly as it would be on
// its own. iri is the term's IRI.
func graphContainerLost(active *ld.Context) (lost, onEmpty bool, iri string) {
	c := active
	if td := active.TermDefinitions["VerifiablePresentation"]; td != nil && td.HasContext {
		scoped, err := active.Parse(td.Context)
		if err != nil {
			return false, false, ""
		}
		c = scoped
	}
	td := c.TermDefinitions["verifiableCredential"]
	lost = td != nil && td.HasContext && slices.Contains(td.Container, "@graph")
	if !lost {
		return false, false, ""
	}
	return lost, td.Context == nil, td.ID
}

// expansionContexts are the pre-processed contexts of one expansion
// (ldexpand.Contexts): the instances of the document's context and of its
// embedded credentials' contexts.
type expansionContexts struct {
	empty     *ld.Context
	instances []*ctxInstance
}

// Previous implements ldexpand.Contexts.
func (x *expansionContexts) Previous(c *ld.Context) (*ld.Context, bool) {
	if c == x.empty {
		return nil, true
	}
	for _, in := range x.instances {
		if prev, ok := in.previous[c]; ok {
			return prev, true
		}
	}
	return nil, false
}

// Empty implements ldexpand.Contexts.
func (x *expansionContexts) Empty() *ld.Context { return x.empty }

// embeddedContext stands, in a presentation view, for the @context of an
// embedded credential that json-gold processes on an empty active context
// (see graphContainerLost): canonicalize hands json-gold a private instance
// of the credential's cached processed context instead of having it
// re-process the context documents.
type embeddedContext struct{ pc *processedContext }

// substituteEmbedded replaces embeddedContext markers in the view's
// embedded credentials by context instances, returned for release. With
// slow set it restores the context values instead.
func substituteEmbedded(in map[string]any, slow bool, used *[]*ctxInstance) []func() {
	items, ok := in["verifiableCredential"].([]any)
	if !ok {
		return nil
	}
	var releases []func()
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it
		g, ok := it.(map[string]any)
		if !ok {
			continue
		}
		cred, ok := g["@graph"].(map[string]any)
		if !ok {
			continue
		}
		marker, ok := cred["@context"].(embeddedContext)
		if !ok {
			continue
		}
		c := make(map[string]any, len(cred))
		for k, v := range cred {
			c[k] = v
		}
		if slow {
			c["@context"] = marker.pc.value
		} else {
			inst := marker.pc.instance()
			c["@context"] = inst.slow
			if marker.pc.fast.fastEligible(cred) {
				c["@context"] = inst.fast
			}
			releases = append(releases, func() { marker.pc.release(inst) })
			*used = append(*used, inst)
		}
		out[i] = map[string]any{"@graph": c}
	}
	in["verifiableCredential"] = out
	return releases
}

// onlyURLs reports whether a @context value is one URL or an array of URLs.
func onlyURLs(v any) bool {
	for _, e := range asSlice(v) {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}
