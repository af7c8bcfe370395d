package vcld

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/piprate/json-gold/ld"
)

// Context URLs pinned by this package. Their documents are embedded in the
// binary (taken byte for byte from the npm packages the JavaScript peers use,
// see testdata/interop/vcld-contexts.mjs) and are never fetched.
const (
	ContextCredentialsV1          = "https://www.w3.org/2018/credentials/v1"
	ContextCredentialsV2          = "https://www.w3.org/ns/credentials/v2"
	ContextUndefinedTermsV2       = "https://www.w3.org/ns/credentials/undefined-terms/v2"
	ContextDataIntegrityV1        = "https://w3id.org/security/data-integrity/v1"
	ContextDataIntegrityV2        = "https://w3id.org/security/data-integrity/v2"
	ContextMultikeyV1             = "https://w3id.org/security/multikey/v1"
	ContextEd25519Signature2020V1 = "https://w3id.org/security/suites/ed25519-2020/v1"
	ContextBitstringStatusListV1  = "https://www.w3.org/ns/credentials/status/v1"
	ContextSecurityV1             = "https://w3id.org/security/v1"
	ContextSecurityV2             = "https://w3id.org/security/v2"
	ContextDIDV1                  = "https://www.w3.org/ns/did/v1"
	// ContextCredentialsExamplesV2 is the VC 2.0 examples context (one
	// @vocab), used by the W3C test suites' credentials.
	ContextCredentialsExamplesV2    = "https://www.w3.org/ns/credentials/examples/v2"
	maxRegisteredContextBytes       = 1 << 20
	maxProcessedContextCacheEntries = 256
)

//go:embed contexts/*.jsonld
var contextFiles embed.FS

var pinnedContexts = map[string]string{
	ContextCredentialsV1:          "credentials-v1.jsonld",
	ContextCredentialsV2:          "credentials-v2.jsonld",
	ContextUndefinedTermsV2:       "credentials-undefined-terms-v2.jsonld",
	ContextDataIntegrityV1:        "data-integrity-v1.jsonld",
	ContextDataIntegrityV2:        "data-integrity-v2.jsonld",
	ContextMultikeyV1:             "multikey-v1.jsonld",
	ContextEd25519Signature2020V1: "ed25519-signature-2020-v1.jsonld",
	ContextBitstringStatusListV1:  "vc-bitstring-status-list-v1.jsonld",
	ContextSecurityV1:             "security-v1.jsonld",
	ContextSecurityV2:             "security-v2.jsonld",
	ContextDIDV1:                  "did-v1.jsonld",
	ContextCredentialsExamplesV2:  "credentials-examples-v2.jsonld",
}

// PinnedContexts returns the URLs of the context documents embedded in this
// package, sorted.
func PinnedContexts() []string {
	out := make([]string, 0, len(pinnedContexts))
	for u := range pinnedContexts {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// PinnedContext returns the embedded bytes of a pinned context document.
func PinnedContext(url string) ([]byte, bool) {
	f, ok := pinnedContexts[url]
	if !ok {
		return nil, false
	}
	b, err := contextFiles.ReadFile("contexts/" + f)
	if err != nil {
		return nil, false
	}
	return b, true
}

// loader is a json-gold DocumentLoader over a fixed set of context documents.
// It never touches the network: an unknown URL is ErrContextNotAllowed.
type loader struct {
	raw map[string][]byte
}

func newLoader(extra map[string][]byte) (*loader, error) {
	l := &loader{raw: make(map[string][]byte, len(pinnedContexts)+len(extra))}
	for u := range pinnedContexts {
		b, _ := PinnedContext(u)
		l.raw[u] = b
	}
	for u, b := range extra {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "urn:") {
			return nil, fmt.Errorf("vcld: register context %q: URL must be http(s) or urn: %w", u, ErrMalformed)
		}
		if len(b) > maxRegisteredContextBytes {
			return nil, fmt.Errorf("vcld: register context %q: %d bytes: %w", u, len(b), ErrTooComplex)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("vcld: register context %q: %v: %w", u, err, ErrMalformed)
		}
		if _, ok := doc["@context"]; !ok {
			return nil, fmt.Errorf("vcld: register context %q: no @context member: %w", u, ErrMalformed)
		}
		l.raw[u] = bytes.Clone(b)
	}
	return l, nil
}

// load returns a copy of the bytes of an allowed context document.
func (l *loader) load(u string) ([]byte, error) {
	b, ok := l.raw[u]
	if !ok {
		return nil, fmt.Errorf("vcld: context %q: %w", u, ErrContextNotAllowed)
	}
	return bytes.Clone(b), nil
}

// LoadDocument implements ld.DocumentLoader. It returns a fresh copy each
// time because json-gold may modify documents it loads (@import merging).
func (l *loader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	b, ok := l.raw[u]
	if !ok {
		return nil, fmt.Errorf("vcld: context %q: %w", u, ErrContextNotAllowed)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("vcld: context %q: %v: %w", u, err, ErrMalformed)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// contextCache holds processed (json-gold) active contexts keyed by the JSON
// of a document's @context value. A processed context is immutable once
// built: json-gold copies an active context before extending it, so one
// instance can serve concurrent expansions. This is what removes the
// per-call re-processing of the VC v2 context.
type contextCache struct {
	mu sync.RWMutex
	m  map[string]*processedContext
}

type processedContext struct {
	// master is the processed context; it is never handed to json-gold
	// (see ctxInstance) and only read once built.
	master *ld.Context
	// instances is a free list of private json-gold contexts.
	instances chan *ctxInstance
	// idAliases are "@id" and the terms the context maps to it; safe mode's
	// property count leaves them out (coerced IRIs become {"@id": ...}).
	idAliases map[string]bool
	// wrapEmbeddedCredentials: verifiableCredential (in a presentation) is
	// a graph container whose term also has a scoped context; json-gold
	// then loses the container, see presentationView.
	wrapEmbeddedCredentials bool
	// embeddedOnEmpty: and embedded credentials are processed on an
	// empty active context (the term's scoped context is null).
	embeddedOnEmpty bool
	// embeddedIRI is the IRI of the verifiableCredential term when
	// wrapEmbeddedCredentials.
	embeddedIRI string
	// value is the @context value this was processed from.
	value any
	// fast is the context with pre-processed type-scoped contexts (none
	// until prepared).
	fast *fastContext
	// prepared: fast is built, and proof configurations under this context
	// may be templated. Contexts of URLs only are prepared when processed;
	// inline contexts once they have been used prepareAfterUses more times.
	prepared bool
	// uses counts the cache hits of an unprepared context.
	uses atomic.Int32
	err  error
}

func (c *contextCache) get(key string) (*processedContext, bool) {
	c.mu.RLock()
	p, ok := c.m[key]
	c.mu.RUnlock()
	return p, ok
}

func (c *contextCache) put(key string, p *processedContext) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*processedContext)
	}
	if len(c.m) >= maxProcessedContextCacheEntries {
		// Documents can carry inline contexts, so keys are attacker
		// chosen: keep the cache bounded by dropping everything. Pinned
		// combinations come back on the next call.
		clear(c.m)
	}
	c.m[key] = p
}

// instance takes a private set of json-gold contexts; give it back with
// release.
func (pc *processedContext) instance() *ctxInstance {
	select {
	case in := <-pc.instances:
		return in
	default:
		return newInstance(pc.master, pc.fast)
	}
}

func (pc *processedContext) release(in *ctxInstance) {
	select {
	case pc.instances <- in:
	default:
	}
}
