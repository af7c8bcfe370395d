package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/jsontext"
)

// Default limits, used when Options leaves them zero.
const (
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
	DefaultMaxJSONDepth = 64
)

// ErrTooDeep reports JSON nested beyond the configured depth.
var ErrTooDeep = errors.New("json nested too deep")

// preallocBody is the largest announced body length ReadBody allocates at once.
const preallocBody = 64 << 10

// ReadBody reads the request body up to the engine's size limit.
func ReadBody(c *gin.Context) ([]byte, error) {
	limit := int64(DefaultMaxBodyBytes)
	if v, ok := c.Get(maxBodyKey); ok {
		limit = v.(int64)
	}
	if c.Request.ContentLength > limit {
		return nil, Errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "request body of %d bytes exceeds the limit of %d bytes", c.Request.ContentLength, limit)
	}
	var (
		body []byte
		err  error
	)
	if n := c.Request.ContentLength; n >= 0 && n <= preallocBody {
		// A small announced length: one buffer of that size, then a check that nothing
		// follows (a body longer than announced is an error of the server library already; a
		// shorter one is io.ErrUnexpectedEOF). Larger bodies grow as they arrive, so that a
		// client announcing the limit and sending nothing costs no more than what it sent.
		body = make([]byte, n)
		if _, err = io.ReadFull(c.Request.Body, body); err == nil {
			var one [1]byte
			if m, _ := c.Request.Body.Read(one[:]); m > 0 {
				err = errors.New("body longer than its Content-Length")
			}
		}
	} else {
		body, err = io.ReadAll(io.LimitReader(c.Request.Body, limit+1))
		if n := c.Request.ContentLength; err == nil && n >= 0 && int64(len(body)) != n {
			err = fmt.Errorf("%d bytes, announced %d", len(body), n)
		}
	}
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, CodeMalformedJSON, "reading request body: %v", err)
	}
	if int64(len(body)) > limit {
		return nil, Errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "request body exceeds the limit of %d bytes", limit)
	}
	return body, nil
}

// DecodeJSON reads the body of a JSON request into v. It refuses a content type other than JSON
// (415), a body over the size limit (413), JSON nested beyond the depth limit (400 json_too_deep)
// and malformed JSON or trailing data (400 malformed_json). It returns coded errors for WriteError.
func DecodeJSON(c *gin.Context, v any) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	body, err := ReadBody(c)
	if err != nil {
		return err
	}
	return unmarshalJSON(c, body, v, false)
}

// DecodeJSONStrict is DecodeJSON refusing JSON members that v does not have: a misspelt field
// is a 400 unknown_field naming it (an *UnknownFieldError), never silently dropped. Members held
// in json.RawMessage or map values are not inspected.
func DecodeJSONStrict(c *gin.Context, v any) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	body, err := ReadBody(c)
	if err != nil {
		return err
	}
	return UnmarshalJSONStrict(c, body, v)
}

// UnmarshalJSONStrict is UnmarshalJSON refusing unknown members (see DecodeJSONStrict).
func UnmarshalJSONStrict(c *gin.Context, body []byte, v any) error {
	return unmarshalJSON(c, body, v, true)
}

// DecodeMembers reads the body of a JSON request that is one object, returning its members
// with their values undecoded (see jsontext.Members): a handler whose request carries a large
// document it hands on as bytes reads it without decoding it twice. It refuses what DecodeJSON
// refuses, with the same problems, and also an object naming a member twice (400
// malformed_json); names match exactly, without encoding/json's case folding.
func DecodeMembers(c *gin.Context) ([]jsontext.Member, error) {
	if err := requireJSON(c); err != nil {
		return nil, err
	}
	body, err := ReadBody(c)
	if err != nil {
		return nil, err
	}
	depth := maxDepth(c)
	members, err := jsontext.Members(body, depth)
	switch {
	case err == nil:
		return members, nil
	case errors.Is(err, jsontext.ErrTooDeep):
		return nil, NewError(http.StatusBadRequest, CodeJSONTooDeep, fmt.Errorf("%w: more than %d levels", ErrTooDeep, depth))
	default:
		return nil, Errorf(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: %v", err)
	}
}

// maxDepth is the engine's JSON depth limit.
func maxDepth(c *gin.Context) int {
	if d, ok := c.Get(maxDepthKey); ok {
		return d.(int)
	}
	return DefaultMaxJSONDepth
}

// UnknownFieldError reports a JSON member the target type does not have (strict decoding):
// 400 unknown_field, with the member's name as the problem's "field" member.
type UnknownFieldError struct {
	Field string
}

// Error implements error.
func (e *UnknownFieldError) Error() string {
	return fmt.Sprintf("unknown field %q (misspelt, or not part of this request)", e.Field)
}

// ProblemCode implements Coded.
func (e *UnknownFieldError) ProblemCode() (int, string) {
	return http.StatusBadRequest, CodeUnknownField
}

// ProblemExtra implements Extended: the unknown member's name.
func (e *UnknownFieldError) ProblemExtra() map[string]any { return map[string]any{"field": e.Field} }

// requireJSON refuses requests whose Content-Type is not application/json or a +json type.
func requireJSON(c *gin.Context) error {
	ct := c.GetHeader("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !(mt == "application/json" || (len(mt) > 5 && mt[len(mt)-5:] == "+json")) {
		return Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "content type %q is not JSON", ct)
	}
	return nil
}

// UnmarshalJSON checks the depth limit of body, then decodes it into v.
func UnmarshalJSON(c *gin.Context, body []byte, v any) error {
	return unmarshalJSON(c, body, v, false)
}

func unmarshalJSON(c *gin.Context, body []byte, v any, strict bool) error {
	if err := CheckDepth(body, maxDepth(c)); err != nil {
		return NewError(http.StatusBadRequest, CodeJSONTooDeep, err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok && strict {
			if name, err := strconv.Unquote(f); err == nil {
				return &UnknownFieldError{Field: name}
			}
		}
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: %v", err)
	}
	if dec.More() {
		return Errorf(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: data after the top-level value")
	}
	return nil
}

// CheckDepth returns ErrTooDeep when the JSON text nests objects and arrays deeper than max.
// It scans bytes without decoding, so a hostile 10,000-deep document costs microseconds.
func CheckDepth(b []byte, max int) error {
	depth, inString, escaped := 0, false, false
	for _, ch := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		}
		switch ch {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return fmt.Errorf("%w: more than %d levels", ErrTooDeep, max)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
