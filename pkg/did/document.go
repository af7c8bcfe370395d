package did

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/idport/idport/pkg/keys"
)

// Context URLs used in documents this package builds.
const (
	ContextDIDv1    = "https://www.w3.org/ns/did/v1"
	ContextJWS2020  = "https://w3id.org/security/suites/jws-2020/v1"
	ContextMultikey = "https://w3id.org/security/multikey/v1"
)

// Verification method types understood by VerificationMethod.PublicKey.
const (
	TypeJsonWebKey2020             = "JsonWebKey2020"
	TypeJsonWebKey                 = "JsonWebKey"
	TypeMultikey                   = "Multikey"
	TypeEd25519VerificationKey2020 = "Ed25519VerificationKey2020"
)

// Verification relationships a key can be looked up for.
type Purpose string

// Verification relationships.
const (
	// AnyPurpose accepts any verification method of the document.
	AnyPurpose Purpose = ""
	// AssertionMethod is the relationship for keys that sign credentials.
	AssertionMethod Purpose = "assertionMethod"
	// Authentication is the relationship for keys that sign presentations.
	Authentication Purpose = "authentication"
)

// MaxDocumentBytes bounds the size of a DID document that ParseDocument and
// the resolver accept (256 KiB).
const MaxDocumentBytes = 256 << 10

// maxMethods bounds the number of verification methods a document may carry.
const maxMethods = 256

// Document is a DID document, reduced to what verification needs.
// Documents returned by a Resolver may be shared: do not modify them.
// Members this type does not model (service, controller, alsoKnownAs, ...)
// are ignored when parsing.
type Document struct {
	// Context is @context as found (a string or an array).
	Context any `json:"@context,omitempty"`
	// ID is the DID the document describes.
	ID string `json:"id"`
	// VerificationMethod lists the document's keys.
	VerificationMethod []VerificationMethod `json:"verificationMethod,omitempty"`
	// AssertionMethod lists references (strings) or embedded methods (objects).
	AssertionMethod []any `json:"assertionMethod,omitempty"`
	// Authentication lists references (strings) or embedded methods (objects).
	Authentication []any `json:"authentication,omitempty"`
}

// VerificationMethod is one key of a DID document.
type VerificationMethod struct {
	// ID is the method id, a DID URL (or a relative "#frag" in a document).
	ID string `json:"id"`
	// Type is the method type (JsonWebKey2020, JsonWebKey, Multikey,
	// Ed25519VerificationKey2020, ...).
	Type string `json:"type"`
	// Controller is the DID that controls the key.
	Controller string `json:"controller"`
	// PublicKeyJwk is the public key as a JWK, for JWK-based types.
	PublicKeyJwk json.RawMessage `json:"publicKeyJwk,omitempty"`
	// PublicKeyMultibase is the Multikey encoding, for multibase-based types.
	PublicKeyMultibase string `json:"publicKeyMultibase,omitempty"`

	// pub and alg hold the key decoded once by the resolver (nil when the
	// method was built or decoded elsewhere, or its key is not supported).
	pub crypto.PublicKey
	alg keys.Alg
}

// PublicKey decodes the method's key material: publicKeyJwk (Ed25519 OKP or
// P-256 EC only, no private members) or publicKeyMultibase (ed25519-pub,
// p256-pub). A method with both, or neither, or with the encoding its known
// type does not use (JsonWebKey2020/JsonWebKey: JWK; Multikey,
// Ed25519VerificationKey2020: multibase) is refused.
func (vm *VerificationMethod) PublicKey() (crypto.PublicKey, keys.Alg, error) {
	if vm.pub != nil {
		return vm.pub, vm.alg, nil
	}
	hasJWK := len(vm.PublicKeyJwk) > 0 && !bytes.Equal(bytes.TrimSpace(vm.PublicKeyJwk), []byte("null"))
	hasMB := vm.PublicKeyMultibase != ""
	switch vm.Type {
	case TypeJsonWebKey2020, TypeJsonWebKey:
		if hasMB {
			return nil, "", fmt.Errorf("%w: method %q of type %s carries publicKeyMultibase", ErrUnsupportedKey, vm.ID, vm.Type)
		}
	case TypeMultikey, TypeEd25519VerificationKey2020:
		if hasJWK {
			return nil, "", fmt.Errorf("%w: method %q of type %s carries publicKeyJwk", ErrUnsupportedKey, vm.ID, vm.Type)
		}
	}
	switch {
	case hasJWK && hasMB:
		return nil, "", fmt.Errorf("%w: method %q has both publicKeyJwk and publicKeyMultibase", ErrUnsupportedKey, vm.ID)
	case hasJWK:
		pub, alg, err := keys.ParsePublicJWK(vm.PublicKeyJwk)
		if err != nil {
			return nil, "", fmt.Errorf("%w: method %q: %w", ErrUnsupportedKey, vm.ID, err)
		}
		return pub, alg, nil
	case hasMB:
		pub, err := ParseMultibaseKey(vm.PublicKeyMultibase)
		if err != nil {
			return nil, "", fmt.Errorf("method %q: %w", vm.ID, err)
		}
		alg, err := keys.AlgOf(pub)
		if err != nil {
			return nil, "", fmt.Errorf("%w: method %q: %w", ErrUnsupportedKey, vm.ID, err)
		}
		if vm.Type == TypeEd25519VerificationKey2020 && alg != keys.EdDSA {
			return nil, "", fmt.Errorf("%w: method %q: %s with a non-Ed25519 key", ErrUnsupportedKey, vm.ID, vm.Type)
		}
		return pub, alg, nil
	default:
		return nil, "", fmt.Errorf("%w: method %q has no publicKeyJwk or publicKeyMultibase", ErrUnsupportedKey, vm.ID)
	}
}

// ParseDocument decodes and checks a DID document: at most MaxDocumentBytes,
// an id that is a valid DID, verification method ids that are DID URLs with
// a fragment (relative "#frag" ids are made absolute against the document
// id), no duplicate method ids, and relationship entries that are strings
// or method objects. It does not decode keys; FindMethod and PublicKey do.
func ParseDocument(b []byte) (*Document, error) {
	if len(b) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrInvalidDocument, len(b), MaxDocumentBytes)
	}
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the document", ErrInvalidDocument)
	}
	if err := doc.normalise(); err != nil {
		return nil, err
	}
	return &doc, nil
}

func (d *Document) normalise() error {
	if _, err := Parse(d.ID); err != nil {
		return fmt.Errorf("%w: id: %w", ErrInvalidDocument, err)
	}
	n := len(d.VerificationMethod) + len(d.AssertionMethod) + len(d.Authentication)
	if n > maxMethods {
		return fmt.Errorf("%w: %d verification methods and references (max %d)", ErrInvalidDocument, n, maxMethods)
	}
	seen := make(map[string]bool, len(d.VerificationMethod))
	for i := range d.VerificationMethod {
		vm := &d.VerificationMethod[i]
		id, err := d.absolute(vm.ID)
		if err != nil {
			return fmt.Errorf("%w: verificationMethod[%d]: %w", ErrInvalidDocument, i, err)
		}
		if seen[id] {
			return fmt.Errorf("%w: duplicate verification method %q", ErrInvalidDocument, id)
		}
		seen[id] = true
		vm.ID = id
	}
	for _, rel := range []struct {
		name string
		list []any
	}{{"assertionMethod", d.AssertionMethod}, {"authentication", d.Authentication}} {
		for i, e := range rel.list {
			switch v := e.(type) {
			case string:
				if _, err := d.absolute(v); err != nil {
					return fmt.Errorf("%w: %s[%d]: %w", ErrInvalidDocument, rel.name, i, err)
				}
			case map[string]any:
				id, _ := v["id"].(string)
				if _, err := d.absolute(id); err != nil {
					return fmt.Errorf("%w: %s[%d].id: %w", ErrInvalidDocument, rel.name, i, err)
				}
			default:
				return fmt.Errorf("%w: %s[%d] is neither a reference nor a method", ErrInvalidDocument, rel.name, i)
			}
		}
	}
	return nil
}

// absolute makes a method id absolute against the document id and checks it
// is a DID URL with a fragment.
func (d *Document) absolute(id string) (string, error) {
	if strings.HasPrefix(id, "#") {
		id = d.ID + id
	}
	u, err := ParseURL(id)
	if err != nil {
		return "", err
	}
	if u.Fragment == "" {
		return "", fmt.Errorf("%w: method id %q has no fragment", ErrInvalidDID, id)
	}
	return id, nil
}

// FindMethod returns the verification method with the given id (absolute,
// or relative "#frag") that the document lists for purpose. With
// AnyPurpose any method in verificationMethod or embedded in a relationship
// is found. A method id must belong to the document: its DID part must be
// the document id. ErrKeyNotFound otherwise.
func (d *Document) FindMethod(id string, purpose Purpose) (*VerificationMethod, error) {
	vm, err := d.findMethod(id, purpose)
	if err != nil {
		return nil, err
	}
	cp := *vm
	return &cp, nil
}

// findMethod is FindMethod returning a pointer into the document (or to an
// embedded method decoded for this call): callers must not modify it.
func (d *Document) findMethod(id string, purpose Purpose) (*VerificationMethod, error) {
	abs, err := d.absolute(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyNotFound, err)
	}
	if len(abs) <= len(d.ID) || abs[:len(d.ID)] != d.ID || abs[len(d.ID)] != '#' {
		return nil, fmt.Errorf("%w: %q is not a key of %q", ErrKeyNotFound, abs, d.ID)
	}
	var rels [][]any
	switch purpose {
	case AnyPurpose:
		rels = [][]any{d.AssertionMethod, d.Authentication}
	case AssertionMethod:
		rels = [][]any{d.AssertionMethod}
	case Authentication:
		rels = [][]any{d.Authentication}
	default:
		return nil, fmt.Errorf("%w: unknown purpose %q", ErrKeyNotFound, purpose)
	}
	referenced := purpose == AnyPurpose
	for _, rel := range rels {
		for _, e := range rel {
			switch v := e.(type) {
			case string:
				if d.sameID(v, abs) {
					referenced = true
				}
			case map[string]any:
				if d.sameID(stringOf(v["id"]), abs) {
					vm, err := embeddedMethod(v)
					if err != nil {
						return nil, fmt.Errorf("%w: %w", ErrInvalidDocument, err)
					}
					vm.ID = abs
					return vm, nil
				}
			}
		}
	}
	if !referenced {
		return nil, fmt.Errorf("%w: %q is not listed under %s", ErrKeyNotFound, abs, purpose)
	}
	for i := range d.VerificationMethod {
		if d.sameID(d.VerificationMethod[i].ID, abs) {
			return &d.VerificationMethod[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrKeyNotFound, abs)
}

// sameID reports whether the method id id (absolute, or relative "#frag")
// names abs, an absolute id already checked by absolute. It does not
// allocate: it runs for every entry of every lookup.
func (d *Document) sameID(id, abs string) bool {
	if len(id) > 0 && id[0] == '#' {
		return len(abs) == len(d.ID)+len(id) && abs[:len(d.ID)] == d.ID && abs[len(d.ID):] == id
	}
	return id == abs
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

func embeddedMethod(m map[string]any) (*VerificationMethod, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var vm VerificationMethod
	if err := json.Unmarshal(b, &vm); err != nil {
		return nil, fmt.Errorf("embedded verification method: %w", err)
	}
	return &vm, nil
}

// NewDocument builds the DID document an issuer publishes for did (usually
// a did:web): one JsonWebKey2020 method per key, id did#<key ID> (or the
// RFC 7638 thumbprint when the key has no ID), all listed under
// assertionMethod and authentication. Retired keys stay listed so that the
// credentials they signed keep verifying; callers drop a key once those
// credentials have expired. Keys whose public part cannot be encoded are
// skipped; use NewDocumentErr to see the error.
func NewDocument(did string, ks []*keys.Key) *Document {
	doc, _ := NewDocumentErr(did, ks)
	return doc
}

// NewDocumentErr is NewDocument that reports the first key it could not encode.
func NewDocumentErr(did string, ks []*keys.Key) (*Document, error) {
	doc := &Document{
		Context: []any{ContextDIDv1, ContextJWS2020},
		ID:      did,
	}
	var first error
	for _, k := range ks {
		if k == nil {
			continue
		}
		pub := k.Public
		if pub == nil && k.Signer != nil {
			pub = k.Signer.Public()
		}
		frag := k.ID
		if i := strings.LastIndexByte(frag, '#'); i >= 0 {
			frag = frag[i+1:]
		}
		if frag == "" {
			t, err := keys.Thumbprint(pub)
			if err != nil {
				first = cmpErr(first, fmt.Errorf("%w: key thumbprint: %w", ErrUnsupportedKey, err))
				continue
			}
			frag = t
		}
		jwk, err := keys.PublicJWK(pub, did+"#"+frag)
		if err != nil {
			first = cmpErr(first, fmt.Errorf("%w: key %q: %w", ErrUnsupportedKey, frag, err))
			continue
		}
		id := did + "#" + frag
		doc.VerificationMethod = append(doc.VerificationMethod, VerificationMethod{
			ID: id, Type: TypeJsonWebKey2020, Controller: did, PublicKeyJwk: jwk,
		})
		doc.AssertionMethod = append(doc.AssertionMethod, id)
		doc.Authentication = append(doc.Authentication, id)
	}
	return doc, first
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// Marshal returns the document as JSON.
func (d *Document) Marshal() ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("did: marshal document: %w", err)
	}
	return b, nil
}

// singleKeyDocument builds the document of a DID that stands for one key
// (did:key, did:jwk).
func singleKeyDocument(ctx []any, did string, vm VerificationMethod) *Document {
	return &Document{
		Context:            ctx,
		ID:                 did,
		VerificationMethod: []VerificationMethod{vm},
		AssertionMethod:    []any{vm.ID},
		Authentication:     []any{vm.ID},
	}
}

var errNoFragment = errors.New("key id has no fragment")

// predecode decodes every verification method key once, so that documents
// served from the resolver cache hand out keys without decoding them again.
// Methods with unsupported keys are left as they are.
func (d *Document) predecode() {
	for i := range d.VerificationMethod {
		vm := &d.VerificationMethod[i]
		if pub, alg, err := vm.PublicKey(); err == nil {
			vm.pub, vm.alg = pub, alg
		}
	}
}
