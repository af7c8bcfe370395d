package vc

import (
	"bytes"
	"encoding/json"
)

// Presentation is a verifiable presentation of data model 1.1 or 2.0.
type Presentation struct {
	// Context is @context in order, as in Credential.
	Context []any
	// ID is the optional presentation id.
	ID string
	// Type lists the presentation types; it includes VerifiablePresentation.
	Type []string
	// Holder is the holder URL (the id when holder is an object).
	Holder string
	// Credentials holds verifiableCredential entries as exact JSON: objects
	// (embedded or enveloped credentials) or strings (JWT credentials).
	Credentials []json.RawMessage
	// Proof is the embedded proof, if any.
	Proof json.RawMessage
	// Extra holds every other member.
	Extra map[string]json.RawMessage

	holderRaw                    json.RawMessage // holder as given, when it was an object
	typeSingle, credentialSingle bool
}

// Version returns 2, 1 or 0 as Credential.Version does.
func (p *Presentation) Version() int { return versionOf(p.Context) }

// ParsePresentation decodes a presentation and validates it.
func ParsePresentation(b []byte) (*Presentation, error) {
	return parseValidated[Presentation](b)
}

// UnmarshalJSON decodes a presentation without validating it.
func (p *Presentation) UnmarshalJSON(b []byte) error { return p.decodeJSON(b, false) }

// decodeJSON is UnmarshalJSON of b, known to be valid JSON when valid is set.
func (p *Presentation) decodeJSON(b []byte, valid bool) error {
	m, err := splitMembers(b, "presentation", valid)
	if err != nil {
		return err
	}
	var out Presentation
	if out.Context, out.ID, out.Type, out.typeSingle, err = decodeHead(m); err != nil {
		return err
	}
	if raw, ok := take(m, "holder"); ok {
		var h Issuer
		if err := h.decodeJSON(raw, true); err != nil {
			return malformed("holder must be a URL or an object with an id")
		}
		out.Holder = h.ID
		if h.Object {
			out.holderRaw = raw
		}
	}
	if raw, ok := take(m, "verifiableCredential"); ok {
		if isArray(raw) {
			// raw is a member of the checked, copied document.
			out.Credentials = splitValidArray(bytes.TrimSpace(raw))
		} else {
			out.Credentials = []json.RawMessage{raw}
			out.credentialSingle = true
		}
		for i, c := range out.Credentials {
			c = bytes.TrimSpace(c)
			if len(c) == 0 || (c[0] != '{' && c[0] != '"') {
				return malformed("verifiableCredential[%d] must be an object or a string", i)
			}
		}
	}
	out.Proof, out.Extra = decodeTail(m)
	*p = out
	return nil
}

// MarshalJSON encodes the presentation.
func (p Presentation) MarshalJSON() ([]byte, error) {
	w := newObjWriter()
	w.value("@context", contextValue(p.Context))
	if p.ID != "" {
		w.value("id", p.ID)
	}
	w.value("type", stringsValue(p.Type, p.typeSingle))
	if p.holderRaw != nil {
		var h Issuer
		if err := h.UnmarshalJSON(p.holderRaw); err == nil && h.ID == p.Holder {
			w.raw("holder", p.holderRaw)
		} else {
			w.value("holder", p.Holder)
		}
	} else if p.Holder != "" {
		w.value("holder", p.Holder)
	}
	if len(p.Credentials) > 0 {
		if p.credentialSingle && len(p.Credentials) == 1 {
			w.raw("verifiableCredential", p.Credentials[0])
		} else {
			w.value("verifiableCredential", p.Credentials)
		}
	}
	w.extra(p.Extra)
	if len(p.Proof) > 0 {
		w.raw("proof", p.Proof)
	}
	return w.bytes()
}

// Validate checks the data model rules for presentations.
func (p *Presentation) Validate() error {
	if err := validateContext(p.Context); err != nil {
		return err
	}
	if p.ID != "" && !IsURL(p.ID) {
		return malformed("id %q is not a URL", p.ID)
	}
	if err := validateTypes(p.Type, TypePresentation); err != nil {
		return err
	}
	if p.Holder != "" && !IsURL(p.Holder) {
		return malformed("holder %q is not a URL", p.Holder)
	}
	return validateProof(p.Proof)
}
