package httpapi

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/jsontext"
	"github.com/idport/idport/verifier"
)

// The answer of a verification is written by hand: json.Marshal(Render(res)) walks the
// answer by reflection, boxes every claim and allocates the whole body for each request.
// appendResult writes the same bytes (json.Marshal's member order, omissions, escaping,
// number and time forms; TestAppendResultMatchesMarshal and FuzzAppendResult check it)
// into a pooled buffer. A field added to Response, Results or to one of the verifier's
// types they carry must be added here too: TestAppendResultCoversEveryField fails until
// the test's fullResult sets it, and TestAppendResultMatchesMarshal then until appendResult
// writes it.

// jsonContentType is the Content-Type gin's c.JSON sends.
var jsonContentType = []string{"application/json; charset=utf-8"}

// answerBuffers recycles the buffers of written answers; one larger than maxPooledAnswer
// (a presentation of many credentials, say) is left to the collector.
var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

const maxPooledAnswer = 64 << 10

// writeResult answers status with the body json.Marshal(Render(res)) would make, as c.JSON
// does (same content type and bytes). If the hand-written encoder cannot write res (a claim
// of a type it does not know is handled by encoding/json; a time or number JSON cannot hold
// fails), the answer goes through c.JSON, so that its behaviour stays exactly c.JSON's.
func writeResult(c *gin.Context, status int, res *verifier.Result) {
	bp := answerBuffers.Get().(*[]byte)
	b, err := appendResult((*bp)[:0], res)
	if err != nil {
		answerBuffers.Put(bp)
		c.JSON(status, Render(res))
		return
	}
	// What c.JSON does with the bytes, without boxing a renderer: the content type unless
	// one is set already, the status, the body.
	if h := c.Writer.Header(); len(h["Content-Type"]) == 0 {
		h["Content-Type"] = jsonContentType
	}
	c.Status(status)
	_, _ = c.Writer.Write(b) // a failed write means the client went away: nothing to answer
	if cap(b) <= maxPooledAnswer {
		*bp = b[:0]
		answerBuffers.Put(bp)
	}
}

// appendResult appends json.Marshal(Render(r)) to b.
func appendResult(b []byte, r *verifier.Result) ([]byte, error) {
	var err error
	b = append(b, `{"verified":`...)
	b = strconv.AppendBool(b, r.Verified)
	b = append(b, `,"errors":`...)
	b = appendProblems(b, r.Errors)
	b = append(b, `,"warnings":`...)
	b = appendProblems(b, r.Warnings)
	b = append(b, `,"results":{`...)
	if r.Format != "" {
		b = appendMember(b, `"format":`, string(r.Format))
		b = append(b, ',')
	}
	b = append(b, `"checks":[`...)
	for i, ch := range r.Checks {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMember(b, `{"name":`, ch.Name)
		b = appendMember(b, `,"outcome":`, string(ch.Outcome))
		b = appendOptMember(b, `,"code":`, string(ch.Code))
		b = append(b, '}')
	}
	b = append(b, ']')
	b = appendOptMember(b, `,"issuer":`, r.Issuer)
	b = appendOptMember(b, `,"subject":`, r.Subject)
	b = appendOptMember(b, `,"holder":`, r.Holder)
	if len(r.Types) > 0 {
		b = append(b, `,"types":`...)
		b = appendStrings(b, r.Types)
	}
	if !r.ValidFrom.IsZero() {
		b = append(b, `,"validFrom":`...)
		if b, err = appendTime(b, r.ValidFrom); err != nil {
			return b, err
		}
	}
	if !r.ValidUntil.IsZero() {
		b = append(b, `,"validUntil":`...)
		if b, err = appendTime(b, r.ValidUntil); err != nil {
			return b, err
		}
	}
	if r.Status != nil {
		b = append(b, `,"status":`...)
		b = appendStatus(b, r.Status)
	}
	if len(r.Statuses) > 0 {
		b = append(b, `,"statuses":[`...)
		for i := range r.Statuses {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStatus(b, &r.Statuses[i])
		}
		b = append(b, ']')
	}
	if len(r.Disclosed) > 0 {
		b = append(b, `,"disclosed":`...)
		b = appendStrings(b, r.Disclosed)
	}
	if len(r.Stripped) > 0 {
		b = append(b, `,"stripped":`...)
		b = appendStrings(b, r.Stripped)
	}
	if len(r.Credentials) > 0 {
		b = append(b, `,"credentials":[`...)
		for i, c := range r.Credentials {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendResult(b, c); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if d := r.Document; d != nil {
		b = append(b, `,"document":`...)
		b = appendDocument(b, d)
	}
	b = append(b, '}')
	if g := r.Recognition; g != nil {
		b = append(b, `,"recognition":`...)
		if b, err = appendRecognition(b, g); err != nil {
			return b, err
		}
	}
	if len(r.Claims) > 0 {
		b = append(b, `,"claims":`...)
		if b, err = appendObject(b, r.Claims); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendProblems writes problems as ProblemDetail values ([] when there are none).
func appendProblems(b []byte, ps []verifier.Problem) []byte {
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		if jsontext.Plain(string(p.Code)) {
			b = append(append(append(append(b, '"'), ProblemTypeBase...), p.Code...), '"')
		} else {
			b = jsontext.AppendString(b, ProblemTypeBase+string(p.Code))
		}
		b = appendMember(b, `,"code":`, string(p.Code))
		b = appendMember(b, `,"title":`, string(p.Code))
		b = appendOptMember(b, `,"detail":`, p.Message)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendStatus(b []byte, s *verifier.StatusInfo) []byte {
	b = append(b, `{"checked":`...)
	b = strconv.AppendBool(b, s.Checked)
	b = appendOptMember(b, `,"purpose":`, s.Purpose)
	b = appendOptMember(b, `,"list":`, s.List)
	b = append(b, `,"value":`...)
	b = strconv.AppendUint(b, uint64(s.Value), 10)
	b = append(b, `,"cacheAgeNanos":`...)
	b = strconv.AppendInt(b, int64(s.CacheAge), 10)
	if s.Stale {
		b = append(b, `,"stale":true`...)
	}
	return append(b, '}')
}

func appendRecognition(b []byte, g *verifier.Recognition) ([]byte, error) {
	b = appendMember(b, `{"authority":`, g.Authority)
	b = appendMember(b, `,"scheme":`, g.Scheme)
	b = appendMember(b, `,"jurisdiction":`, g.Jurisdiction)
	b = appendOptMember(b, `,"agreement":`, g.Agreement)
	b = appendOptMember(b, `,"recognition":`, g.Recognition)
	b = appendOptMember(b, `,"localAssurance":`, g.LocalAssurance)
	b = appendOptMember(b, `,"foreignAssurance":`, g.ForeignAssurance)
	b = append(b, `,"registryVersion":`...)
	b = strconv.AppendUint(b, g.RegistryVersion, 10)
	if g.ValidWhenIssued {
		b = append(b, `,"validWhenIssued":true`...)
	}
	if p := g.Provenance; p != nil {
		b = appendMember(b, `,"provenance":{"kind":`, string(p.Kind))
		b = appendMember(b, `,"description":`, p.Description)
		b = appendOptMember(b, `,"importedBy":`, p.ImportedBy)
		if !p.ImportedAt.IsZero() {
			var err error
			b = append(b, `,"importedAt":`...)
			if b, err = appendTime(b, p.ImportedAt); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	b = appendOptMember(b, `,"chain":`, g.Chain)
	return append(b, '}'), nil
}

func appendDocument(b []byte, d *verifier.DocumentInfo) []byte {
	b = append(b, '{')
	for _, m := range [...]struct{ name, v string }{
		{`"targetHash":`, d.TargetHash}, {`"merkleRoot":`, d.MerkleRoot}, {`"template":`, d.Template},
		{`"issuerName":`, d.IssuerName}, {`"domain":`, d.Domain}, {`"key":`, d.Key},
	} {
		if m.v != "" {
			b = append(appendMember(b, m.name, m.v), ',')
		}
	}
	b = append(b, `"dnssec":`...)
	b = strconv.AppendBool(b, d.DNSSEC)
	b = append(b, `,"obfuscatedFields":`...)
	b = strconv.AppendInt(b, int64(d.ObfuscatedFields), 10)
	if len(d.Obfuscated) > 0 {
		b = append(b, `,"obfuscated":`...)
		b = appendStrings(b, d.Obfuscated)
	}
	return append(b, '}')
}

// appendMember appends name (the JSON of a member name with its colon, and what precedes it)
// and the string v.
func appendMember(b []byte, name, v string) []byte {
	return jsontext.AppendString(append(b, name...), v)
}

// appendOptMember is appendMember for an omitempty member: nothing when v is empty.
func appendOptMember(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendMember(b, name, v)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsontext.AppendString(b, s)
	}
	return append(b, ']')
}

// appendTime appends t as time.Time.MarshalJSON writes it (RFC 3339 with nanoseconds), and
// fails where MarshalJSON fails (a year outside 0-9999, a zone offset of 24 hours or more).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if _, off := t.Zone(); t.Year() < 0 || t.Year() > 9999 || off <= -24*3600 || off >= 24*3600 {
		j, err := t.MarshalJSON()
		return append(b, j...), err
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// appendValue appends a claim value as json.Marshal writes it. The types of decoded JSON are
// written here; any other goes through json.Marshal, which writes a value the same alone as
// inside a map.
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsontext.AppendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case float64:
		return jsontext.AppendFloat(b, v)
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		return appendObject(b, v)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	return append(b, j...), err
}

// appendObject appends m with its members in the order of their names, as json.Marshal does.
func appendObject(b []byte, m map[string]any) ([]byte, error) {
	var few [16]string
	names := few[:0]
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(jsontext.AppendString(b, k), ':')
		var err error
		if b, err = appendValue(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
