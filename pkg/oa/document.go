package oa

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/jsontext"
)

// SchemaV2 is the version member of a wrapped OpenAttestation v2 document.
const SchemaV2 = "https://schema.openattestation.com/2.0/schema.json"

// Proof types of DID-signed v2 documents. The reference library writes
// ProofTypeSignature2018; ProofTypeSignedProof is accepted as an alias.
const (
	ProofTypeSignature2018 = "OpenAttestationSignature2018"
	ProofTypeSignedProof   = "OpenAttestationSignedProof"
)

// Default limits of Parse.
const (
	DefaultMaxBytes  = 1 << 20
	DefaultMaxDepth  = 32
	DefaultMaxFields = 5000
)

// Limits bound what Parse accepts; zero fields take the defaults.
type Limits struct {
	// MaxBytes bounds the document's size.
	MaxBytes int
	// MaxDepth bounds the nesting of JSON objects and arrays.
	MaxDepth int
	// MaxFields bounds the number of data fields plus obfuscated hashes.
	MaxFields int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxFields <= 0 {
		l.MaxFields = DefaultMaxFields
	}
	return l
}

// Signature is the SHA3MerkleProof block of a wrapped document.
type Signature struct {
	Type       string   `json:"type"`
	TargetHash string   `json:"targetHash"`
	Proof      []string `json:"proof"`
	MerkleRoot string   `json:"merkleRoot"`
}

// Proof is one DID proof of a signed document.
type Proof struct {
	Type               string `json:"type"`
	Created            string `json:"created,omitempty"`
	ProofPurpose       string `json:"proofPurpose"`
	VerificationMethod string `json:"verificationMethod"`
	Signature          string `json:"signature"`
}

// Document is a parsed wrapped OpenAttestation v2 document. Data returns
// the salted values as they are in the document. A Document is not safe
// for concurrent use.
type Document struct {
	Version string
	Schema  string
	// Signature is the integrity block.
	Signature Signature
	// Obfuscated lists the hashes of hidden fields (privacy.obfuscatedData).
	Obfuscated []string
	// Proofs lists the DID proofs (none for documents anchored on a chain).
	Proofs []Proof

	leaves []leaf
	// data is the salted data once built (Wrap, or Data on a parsed
	// document); until then a parsed document keeps data's JSON text and
	// its issuers and $template members (meta), which is all verification
	// reads.
	data     map[string]any
	dataText string
	meta     map[string]any
}

// Data returns the salted data, built from the document's text on the
// first call for a parsed document. The map is the document's own:
// changing it changes the document's data but not its leaves (use
// Obfuscate to hide fields).
func (d *Document) Data() map[string]any {
	if d.data == nil && d.dataText != "" {
		if m, err := decode([]byte(d.dataText), 1<<20); err == nil {
			d.data = m // the text was decoded and checked by Parse already
		}
	}
	return d.data
}

// member returns a top-level member of the data without building the rest
// of it.
func (d *Document) member(name string) any {
	if d.data == nil && d.meta != nil {
		return d.meta[name]
	}
	return d.Data()[name]
}

// Parse parses a wrapped v2 document strictly: size, nesting and field
// count within lim, no duplicate member names, the integrity block
// well-formed and every data value salted. It checks no hash (see
// CheckIntegrity).
func Parse(raw []byte, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	if len(raw) > lim.MaxBytes {
		return nil, malformed("document is larger than %d bytes", lim.MaxBytes)
	}
	d := &Document{}
	f := newFlattener(lim.MaxFields)
	m, meta, text, ok := decodeWrapped(string(raw), lim.MaxDepth, f)
	if ok {
		d.leaves, d.dataText, d.meta = f.leaves(), text, meta
	} else {
		// The reference path: decode, then flatten (below), each with
		// its precise error.
		var err error
		if m, err = decode(raw, lim.MaxDepth); err != nil {
			return nil, err
		}
	}
	if d.Version, ok = m["version"].(string); !ok || d.Version != SchemaV2 {
		return nil, malformed("version must be %s", SchemaV2)
	}
	if s, has := m["schema"]; has {
		if d.Schema, ok = s.(string); !ok {
			return nil, malformed("schema must be a string")
		}
	}
	if d.dataText == "" {
		if d.data, ok = m["data"].(map[string]any); !ok {
			return nil, malformed("data must be an object")
		}
	}
	sig, ok := m["signature"].(map[string]any)
	if !ok {
		return nil, malformed("signature must be an object")
	}
	if err := d.parseSignature(sig); err != nil {
		return nil, err
	}
	if p, has := m["privacy"]; has {
		pm, ok := p.(map[string]any)
		if !ok {
			return nil, malformed("privacy must be an object")
		}
		if od, has := pm["obfuscatedData"]; has {
			if d.Obfuscated, ok = hashList(od); !ok {
				return nil, malformed("privacy.obfuscatedData must be a list of hashes")
			}
		}
	}
	if p, has := m["proof"]; has {
		if err := d.parseProofs(p); err != nil {
			return nil, err
		}
	}
	if d.data != nil {
		leaves, err := flatten(d.data, lim.MaxFields)
		if err != nil {
			return nil, err
		}
		d.leaves = leaves
	}
	if len(d.leaves)+len(d.Obfuscated) > lim.MaxFields {
		return nil, malformed("more than %d fields", lim.MaxFields)
	}
	return d, nil
}

func (d *Document) parseSignature(sig map[string]any) error {
	d.Signature.Type, _ = sig["type"].(string)
	d.Signature.TargetHash, _ = sig["targetHash"].(string)
	d.Signature.MerkleRoot, _ = sig["merkleRoot"].(string)
	if d.Signature.Type != "SHA3MerkleProof" {
		return malformed("signature.type must be SHA3MerkleProof")
	}
	if !isHash(d.Signature.TargetHash) || !isHash(d.Signature.MerkleRoot) {
		return malformed("signature.targetHash and signature.merkleRoot must be hashes")
	}
	proof, ok := hashList(sig["proof"])
	if !ok {
		return malformed("signature.proof must be a list of hashes")
	}
	d.Signature.Proof = proof
	return nil
}

func (d *Document) parseProofs(p any) error {
	list, ok := p.([]any)
	if !ok {
		return malformed("proof must be a list")
	}
	for _, e := range list {
		pm, ok := e.(map[string]any)
		if !ok {
			return malformed("proof entries must be objects")
		}
		var pr Proof
		for name, dst := range map[string]*string{"type": &pr.Type, "created": &pr.Created, "proofPurpose": &pr.ProofPurpose,
			"verificationMethod": &pr.VerificationMethod, "signature": &pr.Signature} {
			if v, has := pm[name]; has {
				if *dst, ok = v.(string); !ok {
					return malformed("proof.%s must be a string", name)
				}
			}
		}
		d.Proofs = append(d.Proofs, pr)
	}
	return nil
}

// hashList decodes a JSON array of hashes (nil is an empty list).
func hashList(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok || !isHash(s) {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// decode decodes the document's JSON object in one pass (decodeObject);
// what that refuses is decoded again by scan and encoding/json, the
// reference path, for its precise error (or, should the two ever differ,
// its value).
func decode(raw []byte, maxDepth int) (map[string]any, error) {
	if m, ok := decodeObject(string(raw), maxDepth); ok {
		return m, nil
	}
	if err := scan(raw, maxDepth); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, malformed("not a JSON object")
	}
	return m, nil
}

// scan checks the structure of the JSON text before it is decoded (the
// decoder then checks the syntax): nesting within maxDepth and no object
// holding a member name twice (the reference and Go's decoder would each
// keep a different one). It is a byte loop: Go's token decoder would cost
// more than the rest of the verification.
func scan(raw []byte, maxDepth int) error {
	type frame struct {
		obj       bool
		expectKey bool
		keys      jsontext.Names
	}
	stack := make([]frame, 0, 8)
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{', '[':
			if len(stack) >= maxDepth {
				return malformed("nested deeper than %d levels", maxDepth)
			}
			stack = append(stack, frame{obj: raw[i] == '{', expectKey: raw[i] == '{'})
		case '}', ']':
			if len(stack) == 0 {
				return malformed("invalid JSON")
			}
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].obj {
				stack[n-1].expectKey = true
			}
		case ':':
			if n := len(stack); n > 0 {
				stack[n-1].expectKey = false
			}
		case '"':
			start, escaped := i, false
			for i++; i < len(raw) && raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					escaped = true
					i++
				}
			}
			if i >= len(raw) {
				return malformed("invalid JSON")
			}
			n := len(stack)
			if n == 0 || !stack[n-1].obj || !stack[n-1].expectKey {
				continue
			}
			key := string(raw[start+1 : i])
			if escaped {
				if err := json.Unmarshal(raw[start:i+1], &key); err != nil {
					return malformed("invalid JSON")
				}
			}
			if !stack[n-1].keys.Add(key) {
				return malformed("member %q appears twice", truncate(key))
			}
		}
	}
	return nil
}

// CheckIntegrity recomputes the target hash from the data and the
// obfuscated hashes and follows the Merkle proof to the root. It returns
// ErrTargetHashMismatch or ErrMerkleRootMismatch (wrapped) on failure.
func (d *Document) CheckIntegrity() error {
	got := digest(d.leaves, d.Obfuscated)
	if got != d.Signature.TargetHash {
		return errs.Wrap(CodeTargetHashMismatch, "document data does not match its target hash (a field was changed, added or removed)",
			errors.New("computed "+got+", signed "+d.Signature.TargetHash))
	}
	target, _ := hex.DecodeString(d.Signature.TargetHash)
	proof := make([][]byte, len(d.Signature.Proof))
	for i, p := range d.Signature.Proof {
		proof[i], _ = hex.DecodeString(p)
	}
	if root := hex.EncodeToString(MerkleRoot(target, proof)); root != d.Signature.MerkleRoot {
		return errs.Wrap(CodeMerkleRootMismatch, "the Merkle proof does not lead from the target hash to the Merkle root",
			errors.New("computed "+root+", document says "+d.Signature.MerkleRoot))
	}
	return nil
}

// Fields returns the visible data fields unsalted, by dotted path
// ("billFrom.name", "items.0.price"). Values are strings, float64, bool
// or nil; empty objects and arrays are left out.
func (d *Document) Fields() (map[string]any, error) {
	return d.fields(false)
}

// Claims is Fields without the issuance metadata: the paths under
// "issuers" (who issued the document and how its identity is proven) and
// "$template" (how it is rendered). What is left is what the document
// states.
func (d *Document) Claims() (map[string]any, error) {
	return d.fields(true)
}

func (d *Document) fields(claimsOnly bool) (map[string]any, error) {
	out := make(map[string]any, len(d.leaves))
	for _, l := range d.leaves {
		s := l.text
		if l.kind != leafString || claimsOnly && (strings.HasPrefix(l.path, "issuers.") || strings.HasPrefix(l.path, "$template.")) {
			continue
		}
		v, keep, err := Unsalt(s)
		if err != nil {
			return nil, malformed("field %q: %v", truncate(l.path), err)
		}
		if keep {
			out[l.path] = v
		}
	}
	return out, nil
}

// Unsalt decodes a salted value "<uuid v4>:<type>:<value>". keep is false
// for the type undefined (a field the reference treats as absent).
func Unsalt(s string) (v any, keep bool, err error) {
	if len(s) < 37 || !isUUIDv4(s[:36]) || s[36] != ':' {
		return nil, false, errors.New("value is not salted with a UUID v4")
	}
	typ, val, _ := strings.Cut(strings.TrimSpace(s[37:]), ":")
	switch typ {
	case "string":
		return val, true, nil
	case "number":
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, false, errors.New("salted number is not a number")
		}
		return f, true, nil
	case "boolean":
		return val == "true", true, nil
	case "null":
		return nil, true, nil
	case "undefined":
		return nil, false, nil
	}
	return nil, false, errors.New("salted value has no known type")
}

func isUUIDv4(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' || s[14] != '4' {
		return false
	}
	switch s[19] {
	case '8', '9', 'a', 'b', 'A', 'B':
	default:
		return false
	}
	var bad byte // one table lookup per character; any non-hex digit sets the high bit
	for _, part := range [...]string{s[0:8], s[9:13], s[14:18], s[19:23], s[24:36]} {
		for i := 0; i < len(part); i++ {
			bad |= notHex[part[i]]
		}
	}
	return bad == 0
}

// notHex is 0x80 for every byte that is not a hexadecimal digit.
var notHex = func() (t [256]byte) {
	for i := range t {
		c := byte(i)
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			t[i] = 0x80
		}
	}
	return t
}()
