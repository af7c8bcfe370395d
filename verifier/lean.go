package verifier

import (
	"bytes"
	json "github.com/goccy/go-json"
	"strings"
	"time"

	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
)

// leanCredential is the one-pass decoding of a VC-JOSE-COSE payload: the
// members the checks need, with the data model rules that matter for a
// decision (base context, types, issuer, subject, dates). The hot path
// decodes the payload once into it instead of building a full vc.Credential.
type leanCredential struct {
	Context   json.RawMessage `json:"@context"`
	Type      json.RawMessage `json:"type"`
	Issuer    json.RawMessage `json:"issuer"`
	ValidFrom string          `json:"validFrom"`
	ValidTo   string          `json:"validUntil"`
	Subject   json.RawMessage `json:"credentialSubject"`
	Status    json.RawMessage `json:"credentialStatus"`
	Proof     json.RawMessage `json:"proof"`
	Iat       *float64        `json:"iat"`
	// VC 1.1 names, refused in a vc+jwt payload.
	IssuanceDate string `json:"issuanceDate"`
}

// firstString returns the first string of a JSON string or array of
// strings, without allocating (no escapes expected in a context URL).
func firstString(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) > 0 && b[0] == '[' {
		b = bytes.TrimSpace(b[1:])
	}
	if len(b) < 2 || b[0] != '"' {
		return ""
	}
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 {
		return ""
	}
	return string(b[1 : 1+end])
}

func decodeStringOrArray(raw json.RawMessage) ([]string, bool) {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return nil, false
	}
	if b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return nil, false
		}
		return []string{s}, true
	}
	var ss []string
	if json.Unmarshal(b, &ss) != nil {
		return nil, false
	}
	return ss, true
}

func decodeObjectOrFirst(raw json.RawMessage) (map[string]any, bool) {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return nil, false
	}
	if b[0] == '[' {
		var arr []map[string]any
		if json.Unmarshal(b, &arr) != nil || len(arr) == 0 || arr[0] == nil {
			return nil, false
		}
		return arr[0], true
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func decodeObjects(raw json.RawMessage) ([]map[string]any, bool) {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return nil, true
	}
	if b[0] == '[' {
		var arr []map[string]any
		if json.Unmarshal(b, &arr) != nil {
			return nil, false
		}
		return arr, true
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	return []map[string]any{m}, true
}

// parseVCJOSEFast is the hot path for VC-JOSE-COSE: pkg/vcjwt's lean
// token parser, then one decoding pass over the payload into exactly what
// the checks need (pkg/vcjwt.ParseCredential decodes the payload with
// encoding/json into a general structure, a third of the whole cost of a
// verification). ok is false when s is not a vc+jwt token: the caller then
// takes the general path.
func parseVCJOSEFast(s string) (c *credential, ok bool, err error) {
	if strings.IndexByte(s, '~') >= 0 || strings.IndexByte(s, '{') >= 0 {
		return nil, false, nil
	}
	t, err := vcjwt.Parse(s)
	if err != nil {
		return nil, true, joseError(err)
	}
	if t.Typ != vcjwt.TypVCJOSE {
		return nil, false, nil
	}
	if t.Cty != "" && t.Cty != "vc" && t.Cty != "vc+ld+json" {
		return nil, true, perr(CodeUnsupportedFormat, "vc+jwt with cty %q", t.Cty)
	}
	c, err = parseVCJOSEPayload(t.Payload)
	if err != nil {
		return nil, true, err
	}
	c.token, c.alg = t, t.Alg
	switch {
	case t.Kid == "":
	case t.Kid[0] == '#':
		c.kid = c.issuer + t.Kid
	default:
		c.kid = t.Kid
	}
	return c, true, nil
}

// parseVCJOSEPayload decodes a vc+jwt payload in one pass.
func parseVCJOSEPayload(payload []byte) (*credential, error) {
	var l leanCredential
	if err := json.Unmarshal(payload, &l); err != nil {
		return nil, perr(CodeMalformed, "vc+jwt payload: %v", err)
	}
	if firstString(l.Context) != vc.ContextV2 {
		return nil, perr(CodeMalformed, "vc+jwt payload must be a VC Data Model 2.0 credential (@context)")
	}
	if len(l.Proof) > 0 {
		return nil, perr(CodeMalformed, "vc+jwt payload must not carry an embedded proof")
	}
	if l.IssuanceDate != "" {
		return nil, perr(CodeMalformed, "issuanceDate is not a VC 2.0 member")
	}
	c := &credential{format: vc.FormatVCJOSE}
	types, ok := decodeStringOrArray(l.Type)
	if !ok || !containsString(types, vc.TypeCredential) {
		return nil, perr(CodeMalformed, "type must include VerifiableCredential")
	}
	c.types = types
	switch ib := bytes.TrimSpace(l.Issuer); {
	case len(ib) > 0 && ib[0] == '"':
		if json.Unmarshal(ib, &c.issuer) != nil {
			return nil, perr(CodeMalformed, "issuer must be a URL or an object with an id")
		}
	case len(ib) > 0 && ib[0] == '{':
		var obj struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(ib, &obj) != nil {
			return nil, perr(CodeMalformed, "issuer must be a URL or an object with an id")
		}
		c.issuer = obj.ID
	}
	if !vc.IsURL(c.issuer) {
		return nil, perr(CodeMalformed, "issuer must be a URL")
	}
	var err error
	if l.ValidFrom != "" {
		if c.validFrom, err = vc.ParseTime(l.ValidFrom); err != nil {
			return nil, perr(CodeMalformed, "validFrom: %v", err)
		}
	}
	if l.ValidTo != "" {
		if c.validUntil, err = vc.ParseTime(l.ValidTo); err != nil {
			return nil, perr(CodeMalformed, "validUntil: %v", err)
		}
	}
	if l.Iat != nil {
		c.issuedAt = time.Unix(int64(*l.Iat), 0)
	}
	subj, ok := decodeObjectOrFirst(l.Subject)
	if !ok {
		return nil, perr(CodeMalformed, "credentialSubject must be an object")
	}
	if id, has := subj["id"]; has {
		c.subject, _ = id.(string)
		delete(subj, "id")
	}
	c.claims = subj
	if len(l.Status) > 0 {
		entries, ok := decodeObjects(l.Status)
		if !ok {
			return nil, perr(CodeMalformed, "credentialStatus must be an object or an array of objects")
		}
		if c.status, err = statusRefs(entries); err != nil {
			return nil, perr(CodeMalformed, "%v", err)
		}
	}
	return c, nil
}
