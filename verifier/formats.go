package verifier

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
)

// MaxInputBytes bounds a credential or presentation given to the SDK.
const MaxInputBytes = 1 << 20

// credential is a parsed credential of any format, normalised for the
// checks. Only the fields the checks need are filled.
type credential struct {
	format vc.Format
	issuer string
	kid    string
	alg    keys.Alg

	// Data Integrity: the whole document.
	document []byte
	// pre is set on a credential of a Data Integrity presentation whose
	// proofs were verified with the presentation.
	pre *preverified

	types                           []string
	subject                         string
	claims                          map[string]any
	issuedAt, validFrom, validUntil time.Time
	status                          []StatusRef
	// statusBuf backs status for the common single entry (no allocation).
	statusBuf [1]StatusRef

	// JOSE formats: the parsed token (nil for Data Integrity).
	jose *vcjwt.Parsed

	// SD-JWT VC.
	holderKey crypto.PublicKey // cnf.jwk
	disclosed []string
}

// parseError carries the stable code of a parse failure.
type parseError struct {
	code Code
	err  error
}

// Error implements error.
func (e *parseError) Error() string { return e.err.Error() }

// Unwrap returns the underlying error.
func (e *parseError) Unwrap() error { return e.err }

func perr(code Code, format string, args ...any) error {
	return &parseError{code: code, err: fmt.Errorf(format, args...)}
}

// parseCredential detects the format of raw and parses it without checking
// any signature. It returns the code of a failure.
func parseCredential(raw []byte) (*credential, Code, error) {
	c, err := parseAny(raw)
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			return nil, pe.code, err
		}
		return nil, CodeMalformed, err
	}
	return c, "", nil
}

func parseAny(raw []byte) (*credential, error) {
	if len(raw) > MaxInputBytes {
		return nil, perr(CodeMalformed, "credential of %d bytes exceeds the limit of %d", len(raw), MaxInputBytes)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, perr(CodeMalformed, "empty credential")
	}
	switch raw[0] {
	case '"':
		s, err := compactString(raw, "credential")
		if err != nil {
			return nil, err
		}
		return parseCompact(s)
	case '{':
		if vc.IsEnveloped(raw) {
			// One decoding for the common case: an enveloped credential parses; on a
			// failure, the document's own type decides between a malformed envelope
			// and a Data Integrity credential that merely mentions one.
			env, err := vc.ParseEnveloped(raw)
			if err != nil {
				if !isEnveloped(raw) {
					return parseDataIntegrity(raw)
				}
				return nil, perr(CodeMalformed, "enveloped credential: %v", err)
			}
			if env.Presentation {
				return nil, perr(CodeUnsupportedFormat, "an enveloped presentation is not a credential")
			}
			switch want := env.Format(); want {
			case vc.FormatVCJOSE, vc.FormatSDJWT:
				c, err := parseCompact(env.Data)
				if err != nil {
					return nil, err
				}
				if c.format != want {
					return nil, perr(CodeMalformed, "enveloped media type %q does not match its content (%s)", env.MediaType, c.format)
				}
				return c, nil
			}
			return nil, perr(CodeUnsupportedFormat, "enveloped media type %q is not supported", env.MediaType)
		}
		return parseDataIntegrity(raw)
	}
	return parseCompact(string(raw))
}

// compactString returns the content of a credential or presentation given
// as a JSON string. A JSON string is only ever a compact JWS or SD-JWT: one
// holding a JSON object or array is malformed, never read as that object.
func compactString(raw []byte, what string) (string, error) {
	var s string
	if len(raw) >= 2 && raw[len(raw)-1] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		// A compact token has no escapes: take it as is.
		s = string(raw[1 : len(raw)-1])
	} else if err := json.Unmarshal(raw, &s); err != nil {
		return "", perr(CodeMalformed, "%s string: %v", what, err)
	}
	if t := strings.TrimSpace(s); t != "" && (t[0] == '{' || t[0] == '[') {
		return "", perr(CodeMalformed, "a %s given as a JSON string must be a compact JWS or SD-JWT; a JSON document is sent as an object", what)
	}
	return s, nil
}

// parseDataIntegrity reads a JSON-LD credential with an embedded proof.
func parseDataIntegrity(raw []byte) (*credential, error) {
	cred, err := vc.ParseCredential(raw)
	if err != nil {
		return nil, perr(CodeMalformed, "credential: %v", err)
	}
	if len(cred.Proof) == 0 {
		return nil, perr(CodeMalformed, "credential has no proof")
	}
	c := &credential{format: vc.FormatDI, document: raw}
	if err := fillFromCredential(c, cred); err != nil {
		return nil, err
	}
	return c, nil
}

// fillFromCredential copies the data model members of cred into c.
func fillFromCredential(c *credential, cred *vc.Credential) error {
	if c.issuer == "" {
		c.issuer = cred.Issuer.ID
	}
	c.types = cred.Type
	if cred.ValidFrom != nil {
		c.validFrom = *cred.ValidFrom
		if cred.Version() == 1 {
			c.issuedAt = *cred.ValidFrom // issuanceDate
		}
	}
	if cred.ValidUntil != nil {
		c.validUntil = *cred.ValidUntil
	}
	if err := c.readSubject(cred.Subject); err != nil {
		return perr(CodeAmbiguousSubject, "%v", err)
	}
	if len(cred.Status) > 0 {
		refs, err := statusRefs(cred.Status)
		if err != nil {
			return perr(CodeMalformed, "%v", err)
		}
		c.status = refs
	}
	return nil
}

// readSubject sets the subject id and claims of c, a Data Integrity
// credential, from its credential subjects. The order of credentialSubject
// is not signed (not part of the RDF dataset): with several subjects that
// differ, which one comes first is the holder's choice, so none is read
// and it fails (the caller reports ambiguous_subject). Copies of one
// subject read the same in any order.
func (c *credential) readSubject(subjects []map[string]any) error {
	c.claims, c.subject = nil, ""
	if len(subjects) == 0 {
		return nil
	}
	for i, s := range subjects[1:] {
		if !reflect.DeepEqual(s, subjects[0]) {
			return fmt.Errorf("credential subjects 0 and %d differ: the order of several credential subjects is not signed, so none is read as the credential's", i+1)
		}
	}
	c.claims = make(map[string]any, len(subjects[0]))
	for k, v := range subjects[0] {
		if k == "id" {
			c.subject, _ = v.(string)
			continue
		}
		c.claims[k] = v
	}
	return nil
}
