package vc

import (
	"bytes"
	"encoding/json"
	"time"
)

// Issuer is the issuer member: a URL, or an object with an id and more members.
type Issuer struct {
	// ID is the issuer URL (usually a DID).
	ID string
	// Extra holds the other members of an issuer object (name, description, ...).
	Extra map[string]json.RawMessage
	// Object makes the issuer marshal as an object even without Extra.
	Object bool
}

// MarshalJSON writes the issuer as a string, or as an object when it has
// more members than its id.
func (i Issuer) MarshalJSON() ([]byte, error) {
	if !i.Object && len(i.Extra) == 0 {
		return json.Marshal(i.ID)
	}
	w := newObjWriter()
	if i.ID != "" {
		w.value("id", i.ID)
	}
	w.extra(i.Extra)
	return w.bytes()
}

// UnmarshalJSON reads a string or an object issuer.
func (i *Issuer) UnmarshalJSON(b []byte) error { return i.decodeJSON(b, false) }

// decodeJSON is UnmarshalJSON of b, known to be valid JSON when valid is set.
func (i *Issuer) decodeJSON(b []byte, valid bool) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*i = Issuer{}
		return json.Unmarshal(b, &i.ID)
	}
	m, err := splitMembers(b, "issuer", valid)
	if err != nil {
		return err
	}
	out := Issuer{Object: true}
	if raw, ok := take(m, "id"); ok {
		if out.ID, err = decodeString(raw, "issuer.id"); err != nil {
			return err
		}
	}
	if len(m) > 0 {
		out.Extra = m
	}
	*i = out
	return nil
}

// Credential is a verifiable credential of data model 1.1 or 2.0.
//
// For 1.1 credentials ValidFrom and ValidUntil carry issuanceDate and
// expirationDate and marshal back under those names.
type Credential struct {
	// Context is @context in order: strings, and objects as json.RawMessage.
	Context []any
	// ID is the optional credential id (a URL).
	ID string
	// Type lists the credential types; it includes VerifiableCredential.
	Type []string
	// Issuer is the issuer.
	Issuer Issuer
	// ValidFrom is validFrom (2.0) or issuanceDate (1.1).
	ValidFrom *time.Time
	// ValidUntil is validUntil (2.0) or expirationDate (1.1).
	ValidUntil *time.Time
	// Subject holds credentialSubject; numbers decode as float64.
	Subject []map[string]any
	// Status holds credentialStatus.
	Status []map[string]any
	// Proof is the embedded proof, if any, as its exact JSON.
	Proof json.RawMessage
	// Extra holds every other member (evidence, termsOfUse, credentialSchema,
	// name, description, 1.1 issued, ...) as exact JSON.
	Extra map[string]json.RawMessage

	wire credentialWire
}

// credentialWire remembers wire details of a parsed credential so that it
// marshals back the way it came.
type credentialWire struct {
	parsed                                  bool // decoded from JSON: keep its array/value forms
	typeSingle, subjectSingle, statusSingle bool
	validFrom, validUntil                   string // raw date strings
	validFromAt, validUntilAt               time.Time
}

// Version returns 2 when @context starts with ContextV2, 1 when it starts
// with ContextV1 and 0 otherwise.
func (c *Credential) Version() int { return versionOf(c.Context) }

func versionOf(ctx []any) int {
	if len(ctx) == 0 {
		return 0
	}
	switch ctx[0] {
	case ContextV2:
		return 2
	case ContextV1:
		return 1
	}
	return 0
}

// dateNames returns the member names of the validity dates for version v.
func dateNames(v int) (from, until string) {
	if v == 1 {
		return "issuanceDate", "expirationDate"
	}
	return "validFrom", "validUntil"
}

// ParseCredential decodes a credential and validates it against the data
// model of its version. Errors wrap ErrMalformed, ErrUnsupportedVersion or
// ErrTooLarge with a precise reason.
func ParseCredential(b []byte) (*Credential, error) {
	return parseValidated[Credential](b)
}

// wrapDecode makes sure a json decoding error wraps ErrMalformed.
func wrapDecode(err error) error {
	if errorsIsAny(err) {
		return err
	}
	return malformed("%v", err)
}

// UnmarshalJSON decodes a credential without validating it.
func (c *Credential) UnmarshalJSON(b []byte) error { return c.decodeJSON(b, false) }

// decodeJSON is UnmarshalJSON of b, known to be valid JSON when valid is set.
func (c *Credential) decodeJSON(b []byte, valid bool) error {
	m, err := splitMembers(b, "credential", valid)
	if err != nil {
		return err
	}
	out := Credential{wire: credentialWire{parsed: true}}
	if out.Context, out.ID, out.Type, out.wire.typeSingle, err = decodeHead(m); err != nil {
		return err
	}
	if raw, ok := take(m, "issuer"); ok {
		if err := out.Issuer.decodeJSON(raw, true); err != nil {
			return wrapDecode(err)
		}
	}
	fromName, untilName := dateNames(versionOf(out.Context))
	if raw, ok := take(m, fromName); ok {
		if out.ValidFrom, out.wire.validFrom, err = decodeTime(raw, fromName); err != nil {
			return err
		}
		out.wire.validFromAt = *out.ValidFrom
	}
	if raw, ok := take(m, untilName); ok {
		if out.ValidUntil, out.wire.validUntil, err = decodeTime(raw, untilName); err != nil {
			return err
		}
		out.wire.validUntilAt = *out.ValidUntil
	}
	if raw, ok := take(m, "credentialSubject"); ok {
		if out.Subject, out.wire.subjectSingle, err = decodeObjects(raw, "credentialSubject"); err != nil {
			return err
		}
	}
	if raw, ok := take(m, "credentialStatus"); ok {
		if out.Status, out.wire.statusSingle, err = decodeObjects(raw, "credentialStatus"); err != nil {
			return err
		}
	}
	out.Proof, out.Extra = decodeTail(m)
	*c = out
	return nil
}

// MarshalJSON encodes the credential: known members first in data model
// order, then Extra sorted by name, then proof.
func (c Credential) MarshalJSON() ([]byte, error) {
	w := newObjWriter()
	w.value("@context", contextValue(c.Context))
	if c.ID != "" {
		w.value("id", c.ID)
	}
	w.value("type", stringsValue(c.Type, c.wire.typeSingle))
	if c.Issuer.ID != "" || c.Issuer.Object {
		w.value("issuer", c.Issuer)
	}
	fromName, untilName := dateNames(c.Version())
	if c.ValidFrom != nil {
		w.value(fromName, timeString(*c.ValidFrom, c.wire.validFrom, c.wire.validFromAt))
	}
	if c.ValidUntil != nil {
		w.value(untilName, timeString(*c.ValidUntil, c.wire.validUntil, c.wire.validUntilAt))
	}
	// A credential built in Go writes a single subject or status as an
	// object, as most implementations do; a parsed one keeps its form.
	if len(c.Subject) > 0 {
		w.value("credentialSubject", objectsValue(c.Subject, c.wire.subjectSingle || !c.wire.parsed))
	}
	if len(c.Status) > 0 {
		w.value("credentialStatus", objectsValue(c.Status, c.wire.statusSingle || !c.wire.parsed))
	}
	w.extra(c.Extra)
	if len(c.Proof) > 0 {
		w.raw("proof", c.Proof)
	}
	return w.bytes()
}

// timeString keeps the original spelling of a date that was not changed.
func timeString(t time.Time, raw string, parsed time.Time) string {
	if raw != "" && t == parsed {
		return raw
	}
	return FormatTime(t)
}

// WithoutProof returns a shallow copy of c without its proof.
func (c *Credential) WithoutProof() *Credential {
	cp := *c
	cp.Proof = nil
	return &cp
}

// SubjectID returns the id of the first credential subject, or "".
func (c *Credential) SubjectID() string {
	if len(c.Subject) == 0 {
		return ""
	}
	id, _ := c.Subject[0]["id"].(string)
	return id
}
