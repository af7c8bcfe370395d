package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/verifier"
)

// fullResult sets every field of a verification result that the answer shows, with strings
// that need escaping, claims of every JSON type and a presentation's credential inside.
func fullResult() *verifier.Result {
	at := time.Date(2026, 12, 6, 17, 36, 45, 123456789, time.FixedZone("IST", 5*3600+30*60))
	inner := &verifier.Result{
		Verified: false, Format: vc.FormatSDJWT,
		Checks:   []verifier.Check{{Name: verifier.CheckFormat, Outcome: verifier.Passed}, {Name: verifier.CheckSignature, Outcome: verifier.Failed, Code: verifier.CodeSignatureInvalid}},
		Errors:   []verifier.Problem{{Code: verifier.CodeSignatureInvalid, Message: "bad <sig> & \"more\"\n"}},
		Warnings: []verifier.Problem{{Code: verifier.CodeClaimStripped, Message: ""}},
		Issuer:   "did:web:上海.example", Types: []string{"HKResidentIdentity"}, Disclosed: []string{"given_name", "address.street"},
		Claims: map[string]any{"given_name": "Mei"},
	}
	return &verifier.Result{
		Verified: true, Format: vc.FormatVCJOSE,
		Checks: []verifier.Check{{Name: verifier.CheckFormat, Outcome: verifier.Passed}, {Name: verifier.CheckStatus, Outcome: verifier.Warned, Code: verifier.CodeStatusStale},
			{Name: verifier.CheckHolder, Outcome: verifier.Skipped, Code: "holder_not_bound"}},
		Errors:   []verifier.Problem{},
		Warnings: []verifier.Problem{{Code: verifier.CodeStatusStale, Message: "status list copy is stale\u2028(refresh failed)"}, {Code: "odd code <x>", Message: "\xff"}},
		Recognition: &verifier.Recognition{Authority: "sg-demo-registrar", Scheme: "sg.corporate", Jurisdiction: "SG", Agreement: "sg-cn-sh-lg-dea",
			Recognition: "lg-recognises-sg-corporate", LocalAssurance: "L3", ForeignAssurance: "high", RegistryVersion: math.MaxUint64, ValidWhenIssued: true,
			Provenance: &verifier.Provenance{Kind: verifier.ProvenanceTrustedList, Description: "EU trusted list FR seq 42, TSP \"X\"", ImportedBy: "regulator-1", ImportedAt: at},
			Chain:      "leaf -> anchor"},
		Claims: map[string]any{
			"legalName": "Acme Trading Pte. Ltd.", "enterpriseName": "上海临港贸易有限公司", "html": "<b>&amp;</b>", "count": float64(42),
			"ratio": 0.1, "tiny": 1e-7, "huge": 1e21, "negative": -3.5, "zero": float64(0), "yes": true, "no": false, "none": nil,
			"address": map[string]any{"street": "1 Marina Boulevard", "postcode": "018989", "geo": []any{1.25, 103.85}},
			"list":    []any{"a", map[string]any{"b": []any{}}, nil, true}, "empty": map[string]any{}, "nilMap": map[string]any(nil),
			"nilList": []any(nil), "Zed": "capitals sort first", "ключ": "значение", "tab\tkey": "x", "<key>": "y",
			"int": 7, "number": json.Number("12.50"), "strings": []string{"x", "<y>"}, "time": at,
		},
		Issuer: "did:key:z6Mkosir9Eb3mNQST1NeBxAbVsCmNG8GhzMVSYnMBt9bmHFd", Subject: "did:example:acme-sg", Holder: "did:example:holder",
		Types: []string{"VerifiableCredential", "BusinessRegistration"}, ValidFrom: at.UTC(), ValidUntil: at,
		Status: &verifier.StatusInfo{Checked: true, Purpose: "revocation", List: "http://127.0.0.1:33213/status/bitstring/revocation-1", Value: 3,
			CacheAge: 104494 * time.Nanosecond, Stale: true},
		Statuses: []verifier.StatusInfo{{Checked: true, Purpose: "revocation", List: "http://x/1", Value: 255, CacheAge: -1}, {Checked: false}},
		Stripped: []string{"registeredAddress"}, Credentials: []*verifier.Result{inner, {Verified: true}},
		Document: &verifier.DocumentInfo{TargetHash: "ab", MerkleRoot: "cd", Template: "TRADE", IssuerName: "Acme & Co", Domain: "acme.example",
			Key: "did:ethr:0x1#controller", DNSSEC: true, ObfuscatedFields: 2, Obfuscated: []string{"h1", "h2"}},
	}
}

// renderCases are results of every shape the verifier answers with, and some it never makes.
func renderCases() map[string]*verifier.Result {
	ist := time.FixedZone("", 5*3600+30*60)
	return map[string]*verifier.Result{
		"full":    fullResult(),
		"zero":    {},
		"minimal": {Verified: true, Errors: []verifier.Problem{}, Warnings: []verifier.Problem{}},
		"malformed": {Format: "", Checks: []verifier.Check{{Name: verifier.CheckFormat, Outcome: verifier.Failed, Code: verifier.CodeMalformed}},
			Errors: []verifier.Problem{{Code: verifier.CodeMalformed, Message: `credential string: invalid character 'x' looking for beginning of value`}}},
		"empty claims":    {Verified: true, Claims: map[string]any{}, Types: []string{}, Statuses: []verifier.StatusInfo{}, Credentials: []*verifier.Result{}},
		"times with zone": {ValidFrom: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), ValidUntil: time.Date(9999, 12, 31, 23, 59, 59, 0, ist)},
		"offset seconds":  {ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600+59))},
		"many claims": {Claims: func() map[string]any {
			m := map[string]any{}
			for i := range 40 {
				m[strings.Repeat("k", i%7)+string(rune('a'+i%26))+string(rune('0'+i/26))] = i
			}
			return m
		}()},
		"recognition without provenance": {Recognition: &verifier.Recognition{Authority: "a", Scheme: "", Jurisdiction: ""}},
		"provenance without time":        {Recognition: &verifier.Recognition{Provenance: &verifier.Provenance{}}},
		"document zero":                  {Document: &verifier.DocumentInfo{}},
	}
}

// TestAppendResultMatchesMarshal: the hand-written answer is byte for byte
// json.Marshal(Render(res)), for every shape above.
func TestAppendResultMatchesMarshal(t *testing.T) {
	for name, r := range renderCases() {
		want, err := json.Marshal(Render(r))
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		got, err := appendResult([]byte("x"), r)
		if err != nil || !bytes.Equal(got[1:], want) {
			t.Errorf("%s: appendResult (err %v)\n%s\njson.Marshal\n%s", name, err, got[1:], want)
		}
	}
}

// TestAppendResultFailsWhereMarshalFails: a time or number that JSON cannot hold fails the
// encoder as it fails json.Marshal, and writeResult then answers as c.JSON does.
func TestAppendResultFailsWhereMarshalFails(t *testing.T) {
	bad := map[string]*verifier.Result{
		"year 10000":         {ValidUntil: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"year -1":            {ValidFrom: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		"zone of 24 hours":   {ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))},
		"NaN claim":          {Claims: map[string]any{"x": math.NaN()}},
		"nested infinity":    {Claims: map[string]any{"x": []any{map[string]any{"y": math.Inf(-1)}}}},
		"provenance year":    {Recognition: &verifier.Recognition{Provenance: &verifier.Provenance{ImportedAt: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		"credential's claim": {Credentials: []*verifier.Result{{Claims: map[string]any{"c": make(chan int)}}}},
	}
	for name, r := range bad {
		if _, err := json.Marshal(Render(r)); err == nil {
			t.Fatalf("%s: json.Marshal accepts it", name)
		}
		if _, err := appendResult(nil, r); err == nil {
			t.Errorf("%s: appendResult accepts what json.Marshal refuses", name)
		}
		for _, write := range []func(*gin.Context){
			func(c *gin.Context) { writeResult(c, http.StatusOK, r) },
			func(c *gin.Context) { c.JSON(http.StatusOK, Render(r)) },
		} {
			rec := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(rec)
			write(c)
			if rec.Body.Len() != 0 || len(c.Errors) != 1 {
				t.Errorf("%s: body %q, errors %v", name, rec.Body, c.Errors)
			}
		}
	}
}

// TestWriteResultAnswersAsJSON: writeResult sends the status, headers and body c.JSON sends.
func TestWriteResultAnswersAsJSON(t *testing.T) {
	for name, r := range renderCases() {
		for _, status := range []int{http.StatusOK, http.StatusBadRequest} {
			var recs [2]*httptest.ResponseRecorder
			for i, write := range []func(*gin.Context){
				func(c *gin.Context) { writeResult(c, status, r) },
				func(c *gin.Context) { c.JSON(status, Render(r)) },
			} {
				recs[i] = httptest.NewRecorder()
				c, _ := gin.CreateTestContext(recs[i])
				write(c)
			}
			if recs[0].Code != recs[1].Code || !reflect.DeepEqual(recs[0].Header(), recs[1].Header()) || !bytes.Equal(recs[0].Body.Bytes(), recs[1].Body.Bytes()) {
				t.Errorf("%s %d: writeResult %d %v %s; c.JSON %d %v %s", name, status, recs[0].Code, recs[0].Header(), recs[0].Body,
					recs[1].Code, recs[1].Header(), recs[1].Body)
			}
		}
	}
}

// TestAppendResultCoversEveryField: fullResult sets every field of every type in the answer
// (somewhere in its tree), so that a field added to Response, Results, ProblemDetail or to the
// verifier's types they carry, and not to appendResult, makes TestAppendResultMatchesMarshal
// fail.
func TestAppendResultCoversEveryField(t *testing.T) {
	set := map[string]bool{}   // "Type.Field" found non-zero
	types := map[string]bool{} // "Type.Field" of every struct type met
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if !f.IsExported() {
					continue
				}
				name := v.Type().Name() + "." + f.Name
				types[name] = true
				if !v.Field(i).IsZero() {
					set[name] = true
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(Render(fullResult())))
	for name := range types {
		if !set[name] {
			t.Errorf("fullResult leaves %s zero everywhere: set it there, and write it in appendResult", name)
		}
	}
	if len(types) < 50 {
		t.Errorf("only %d fields met: the walk is broken", len(types))
	}
}

// FuzzAppendResult: for results built from arbitrary strings, numbers and times, the
// hand-written answer is json.Marshal(Render(res)), or both fail.
func FuzzAppendResult(f *testing.F) {
	f.Add(true, "signature_invalid", "bad <sig>", "legalName", "Acme", 42.0, int64(1765042605), int64(0), 0, uint8(0))
	f.Add(false, "", "\xff\u2028", "ключ", "上海", 1e-7, int64(-62135596800), int64(1), 330, uint8(255))
	f.Add(false, "odd\ncode", "", "", "", math.Inf(1), int64(253402300800), int64(999999999), -720, uint8(7))
	f.Add(true, "\"", "\\", "<&>", "\x00", -0.0, int64(0), int64(-1), 1439, uint8(0xaa))
	f.Fuzz(func(t *testing.T, verified bool, code, msg, key, val string, num float64, sec, nsec int64, offMin int, flags uint8) {
		at := time.Unix(sec, nsec).In(time.FixedZone("", (offMin%(30*60))*60))
		r := &verifier.Result{Verified: verified, Format: vc.Format(val), Issuer: msg, Subject: key, Holder: code}
		r.Checks = []verifier.Check{{Name: key, Outcome: verifier.Outcome(msg), Code: verifier.Code(code)}}
		if flags&1 != 0 {
			r.Errors = []verifier.Problem{{Code: verifier.Code(code), Message: msg}}
		}
		if flags&2 != 0 {
			r.Warnings = []verifier.Problem{{Code: verifier.Code(msg), Message: val}, {Code: verifier.Code(key)}}
		}
		if flags&4 != 0 {
			r.ValidFrom, r.ValidUntil = at, at.UTC()
		}
		if flags&8 != 0 {
			r.Claims = map[string]any{key: val, val: num, code: []any{msg, num, flags&16 != 0, nil, map[string]any{msg: key}}}
		}
		if flags&32 != 0 {
			r.Recognition = &verifier.Recognition{Authority: key, Scheme: val, Jurisdiction: code, Chain: msg, RegistryVersion: uint64(sec),
				Provenance: &verifier.Provenance{Kind: verifier.ProvenanceKind(code), Description: msg, ImportedAt: at}}
		}
		if flags&64 != 0 {
			r.Status = &verifier.StatusInfo{Checked: verified, Purpose: key, List: val, Value: flags, CacheAge: time.Duration(nsec), Stale: flags&16 != 0}
			r.Statuses = []verifier.StatusInfo{*r.Status, {}}
			r.Types, r.Disclosed, r.Stripped = []string{key, val}, []string{msg}, []string{code}
			r.Document = &verifier.DocumentInfo{TargetHash: key, Domain: val, Key: msg, ObfuscatedFields: int(sec), Obfuscated: []string{code}}
		}
		if flags&128 != 0 {
			inner := *r
			r.Credentials = []*verifier.Result{&inner, {}}
		}
		want, werr := json.Marshal(Render(r))
		got, err := appendResult(nil, r)
		if (werr != nil) != (err != nil) {
			t.Fatalf("json.Marshal error %v, appendResult error %v", werr, err)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Errorf("appendResult\n%s\njson.Marshal\n%s", got, want)
		}
	})
}

// TestOutcomeCountersCount: counts kept by label values land in the vector's series.
func TestOutcomeCountersCount(t *testing.T) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "test_total", Help: "test"}, []string{"kind", "format", "outcome"})
	o := newOutcomeCounters(vec)
	for range 3 {
		o.inc("credential", "vc+jwt", "verified")
	}
	o.inc("credential", "vc+jwt", "expired")
	o.inc("presentation", "vc+jwt", "verified")
	for _, c := range []struct {
		labels []string
		want   float64
	}{{[]string{"credential", "vc+jwt", "verified"}, 3}, {[]string{"credential", "vc+jwt", "expired"}, 1}, {[]string{"presentation", "vc+jwt", "verified"}, 1}} {
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(vec)
		if got := counterValue(t, reg, c.labels); got != c.want {
			t.Errorf("%v: %v, want %v", c.labels, got, c.want)
		}
	}
}

// counterValue reads the series of test_total with labels (kind, format, outcome) from reg.
func counterValue(t *testing.T, reg *prometheus.Registry, labels []string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetValue())
			}
			// Labels come sorted by name: format, kind, outcome.
			if slices.Equal(got, []string{labels[1], labels[0], labels[2]}) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// BenchmarkAnswer writes the answer of a typical verified credential (the load tool's: seven
// checks, two status entries, recognition with provenance, five claims) by hand and through
// json.Marshal(Render(res)): go test ./verifier/httpapi -run '^$' -bench Answer -benchmem
func BenchmarkAnswer(b *testing.B) {
	at := time.Date(2026, 12, 6, 17, 36, 45, 0, time.UTC)
	list := func(p string) string { return "http://127.0.0.1:33213/status/bitstring/" + p + "-1" }
	r := &verifier.Result{Verified: true, Format: vc.FormatVCJOSE, Errors: []verifier.Problem{}, Warnings: []verifier.Problem{},
		Issuer: "did:key:z6Mkosir9Eb3mNQST1NeBxAbVsCmNG8GhzMVSYnMBt9bmHFd", Subject: "did:example:acme-sg",
		Types: []string{"VerifiableCredential", "BusinessRegistration"}, ValidFrom: at, ValidUntil: at.AddDate(1, 0, 0),
		Status:   &verifier.StatusInfo{Checked: true, Purpose: "revocation", List: list("revocation"), CacheAge: 104494},
		Statuses: []verifier.StatusInfo{{Checked: true, Purpose: "revocation", List: list("revocation"), CacheAge: 104494}, {Checked: true, Purpose: "suspension", List: list("suspension"), CacheAge: 35927}},
		Recognition: &verifier.Recognition{Authority: "sg-demo-registrar", Scheme: "sg.corporate", Jurisdiction: "SG", Agreement: "sg-cn-sh-lg-dea",
			Recognition: "lg-recognises-sg-corporate", LocalAssurance: "L3", ForeignAssurance: "high", RegistryVersion: 1,
			Provenance: &verifier.Provenance{Kind: verifier.ProvenanceManual, Description: "authority sg-demo-registrar registered by the regulators (maker-checker)"}},
		Claims: map[string]any{"enterpriseName": "Acme Trading Pte. Ltd.", "enterpriseType": "Private Company Limited by Shares",
			"establishmentDate": "2019-04-02", "registeredAddress": "1 Marina Boulevard, Singapore 018989", "registrationNumber": "201912345K"},
	}
	for _, name := range []string{verifier.CheckFormat, verifier.CheckSignature, verifier.CheckValidity, verifier.CheckRecognition,
		verifier.CheckAssurance, verifier.CheckDisclosures, verifier.CheckStatus} {
		r.Checks = append(r.Checks, verifier.Check{Name: name, Outcome: verifier.Passed})
	}
	b.Run("appendResult", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 4<<10)
		for b.Loop() {
			var err error
			if buf, err = appendResult(buf[:0], r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(Render(r)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
