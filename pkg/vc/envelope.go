package vc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/idport/idport/pkg/jsontext"
)

// Enveloped is a credential or presentation secured by an enveloping proof
// and carried in JSON as {"@context": [...], "id": "data:<media type>,<token>",
// "type": "EnvelopedVerifiableCredential"} (VC Data Model 2.0 section 4.13).
type Enveloped struct {
	// MediaType is the media type of the data: URL, e.g. MediaTypeVCJWT.
	MediaType string
	// Data is the enveloped token (a compact JWS or an SD-JWT).
	Data string
	// Presentation is true for EnvelopedVerifiablePresentation.
	Presentation bool
}

// Format maps the media type to a credential format ("" when unknown).
func (e *Enveloped) Format() Format {
	switch e.MediaType {
	case MediaTypeVCJWT, MediaTypeVPJWT:
		return FormatVCJOSE
	case MediaTypeSDJWT, "application/vc+sd-jwt":
		return FormatSDJWT
	}
	return ""
}

// IsEnveloped reports cheaply whether b looks like an enveloped credential or
// presentation (its type mentions Enveloped). Use ParseEnveloped to check it.
func IsEnveloped(b []byte) bool {
	return bytes.Contains(b, []byte("EnvelopedVerifiable"))
}

// ParseEnveloped reads an enveloped credential or presentation. It checks
// @context, the type and the data: URL, and returns the media type and the
// token. Errors wrap ErrNotEnveloped or ErrMalformed.
func ParseEnveloped(b []byte) (*Enveloped, error) {
	if len(b) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxDocumentBytes)
	}
	v2, types, id, err := decodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	var e Enveloped
	switch {
	case hasType(types, TypeEnveloped):
	case hasType(types, TypeEnvelopedPresentation):
		e.Presentation = true
	default:
		return nil, fmt.Errorf("%w: type is %v", ErrNotEnveloped, types)
	}
	if !v2 {
		return nil, malformed("an enveloped credential needs @context %q first", ContextV2)
	}
	e.MediaType, e.Data, err = ParseDataURL(id)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// decodeEnvelope returns whether @context starts with ContextV2, the types and the id of an
// enveloped value: in one pass for the usual shape, else through encoding/json.
func decodeEnvelope(b []byte) (v2 bool, types []string, id string, err error) {
	if c, t, id, ok := envelopeFast(b); ok {
		return len(c) > 0 && c[0] == ContextV2, t, id, nil
	}
	// Members by their exact names, as JSON-LD reads them (a struct would also take "Type" or
	// "ID").
	var w map[string]json.RawMessage
	if err := json.Unmarshal(b, &w); err != nil || w == nil {
		return false, nil, "", malformed("enveloped credential: not a JSON object")
	}
	if raw, has := w["id"]; has {
		if err := json.Unmarshal(raw, &id); err != nil {
			return false, nil, "", malformed("enveloped credential: id must be a string")
		}
	}
	if types, _, err = decodeStrings(w["type"], "type"); err != nil {
		return false, nil, "", fmt.Errorf("%w: %w", ErrNotEnveloped, err)
	}
	if !hasType(types, TypeEnveloped) && !hasType(types, TypeEnvelopedPresentation) {
		return false, types, "", nil // the caller reports the type before the context
	}
	ctx, err := decodeContext(w["@context"])
	if err != nil {
		return false, nil, "", err
	}
	return len(ctx) > 0 && ctx[0] == ContextV2, types, id, nil
}

// ParseDataURL splits a data: URL "data:<media type>[;params],<data>" into its
// media type (without parameters) and its data (percent-decoded).
// Base64 data URLs are refused: enveloped tokens are base64url text already.
func ParseDataURL(s string) (mediaType, data string, err error) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return "", "", malformed("id is not a data: URL")
	}
	head, body, ok := strings.Cut(rest, ",")
	if !ok {
		return "", "", malformed("data: URL without a comma")
	}
	mt, params, _ := strings.Cut(head, ";")
	if params != "" {
		// The only parameter accepted is the charset of JSON text, UTF-8
		// (RFC 8259 section 8.1); base64 is refused: enveloped tokens are
		// base64url text already.
		for p := range strings.SplitSeq(params, ";") {
			name, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			switch {
			case strings.EqualFold(name, "base64"):
				return "", "", malformed("base64 data: URLs are not supported for enveloped credentials")
			case strings.EqualFold(name, "charset") && (strings.EqualFold(strings.Trim(val, `"`), "utf-8") || strings.EqualFold(strings.Trim(val, `"`), "utf8")):
			case strings.EqualFold(name, "charset"):
				return "", "", malformed("data: URL charset %q: only utf-8 is accepted", val)
			default:
				return "", "", malformed("data: URL parameter %q is not accepted", name)
			}
		}
	}
	if mt == "" {
		return "", "", malformed("data: URL without a media type")
	}
	if strings.Contains(body, "%") {
		if body, err = url.PathUnescape(body); err != nil {
			return "", "", malformed("data: URL: %v", err)
		}
	}
	if body == "" {
		return "", "", malformed("data: URL without data")
	}
	return strings.ToLower(mt), body, nil
}

// Envelope returns the JSON of an EnvelopedVerifiableCredential carrying
// token with the given media type (MediaTypeVCJWT or MediaTypeSDJWT).
func Envelope(mediaType, token string) []byte {
	return envelope(TypeEnveloped, mediaType, token)
}

// EnvelopePresentation returns the JSON of an EnvelopedVerifiablePresentation.
func EnvelopePresentation(mediaType, token string) []byte {
	return envelope(TypeEnvelopedPresentation, mediaType, token)
}

func envelope(typ, mediaType, token string) []byte {
	if jsontext.Plain(typ) && jsontext.Plain(mediaType) && jsontext.Plain(token) {
		// What json.Marshal writes below, without its reflection and escaping pass over a
		// token of a few kilobytes (compact JWS and SD-JWT are base64url, '.' and '~').
		const head = `{"@context":["` + ContextV2 + `"],"id":"data:`
		b := make([]byte, 0, len(head)+len(mediaType)+1+len(token)+len(`","type":""}`)+len(typ))
		b = append(b, head...)
		b = append(append(append(b, mediaType...), ','), token...)
		b = append(append(append(b, `","type":"`...), typ...), `"}`...)
		return b
	}
	b, _ := json.Marshal(struct {
		Context []string `json:"@context"`
		ID      string   `json:"id"`
		Type    string   `json:"type"`
	}{[]string{ContextV2}, "data:" + mediaType + "," + token, typ})
	return b
}
