package oa

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/idport/idport/pkg/errs"
)

// Wrap salts data and wraps it into a v2 document on its own (a batch of
// one: the Merkle root is the target hash, the proof empty). Values may be
// strings, bools, nil, ints, float64 and json.Number, in maps and slices.
func Wrap(data map[string]any) (*Document, error) {
	salted, err := salt(data)
	if err != nil {
		return nil, err
	}
	d := &Document{Version: SchemaV2, data: salted.(map[string]any)}
	if d.leaves, err = flatten(d.data, 1<<30); err != nil {
		return nil, err
	}
	h := digest(d.leaves, nil)
	d.Signature = Signature{Type: "SHA3MerkleProof", TargetHash: h, MerkleRoot: h, Proof: []string{}}
	return d, nil
}

func salt(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			s, err := salt(e)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			s, err := salt(e)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case string:
		return uuid4() + ":string:" + x, nil
	case bool:
		return uuid4() + ":boolean:" + strconv.FormatBool(x), nil
	case nil:
		return uuid4() + ":null:null", nil
	case int:
		return uuid4() + ":number:" + strconv.Itoa(x), nil
	case float64:
		return uuid4() + ":number:" + strconv.FormatFloat(x, 'f', -1, 64), nil
	case json.Number:
		return uuid4() + ":number:" + x.String(), nil
	}
	return nil, errs.Errorf(CodeMalformed, "cannot salt a value of type %T", v)
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Obfuscate hides the fields at paths (dotted, as lodash paths: "recipient.name",
// "items"): their flattened leaves are hashed into privacy.obfuscatedData and
// removed from the data, as the reference's obfuscateDocument does. The target
// hash is unchanged, so the signature still holds.
func (d *Document) Obfuscate(paths ...string) error {
	for _, p := range paths {
		parent, key, v, ok := lookup(d.Data(), p)
		if !ok {
			return fmt.Errorf("oa: no field %q to obfuscate", p)
		}
		leaves, err := flatten(map[string]any{"x": v}, 1<<30)
		if err != nil {
			return err
		}
		for i := range leaves {
			leaves[i].path = p + leaves[i].path[1:]
		}
		d.Obfuscated = append(d.Obfuscated, leafHashes(newKeccak(), leaves)...)
		delete(parent, key)
	}
	leaves, err := flatten(d.Data(), 1<<30)
	if err != nil {
		return err
	}
	d.leaves = leaves
	return nil
}

// lookup finds the object member at a dotted path (objects only).
func lookup(data map[string]any, path string) (map[string]any, string, any, bool) {
	m := data
	for {
		head, rest, more := cut(path)
		v, ok := m[head]
		if !ok {
			return nil, "", nil, false
		}
		if !more {
			return m, head, v, true
		}
		if m, ok = v.(map[string]any); !ok {
			return nil, "", nil, false
		}
		path = rest
	}
}

func cut(p string) (string, string, bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			return p[:i], p[i+1:], true
		}
	}
	return p, "", false
}

// MarshalJSON writes the wrapped document.
func (d *Document) MarshalJSON() ([]byte, error) {
	type privacy struct {
		ObfuscatedData []string `json:"obfuscatedData"`
	}
	out := struct {
		Version   string         `json:"version"`
		Schema    string         `json:"schema,omitempty"`
		Data      map[string]any `json:"data"`
		Signature Signature      `json:"signature"`
		Privacy   *privacy       `json:"privacy,omitempty"`
		Proof     []Proof        `json:"proof,omitempty"`
	}{Version: d.Version, Schema: d.Schema, Data: d.Data(), Signature: d.Signature, Proof: d.Proofs}
	if out.Signature.Proof == nil {
		out.Signature.Proof = []string{}
	}
	if len(d.Obfuscated) > 0 {
		out.Privacy = &privacy{d.Obfuscated}
	}
	return json.Marshal(out)
}
