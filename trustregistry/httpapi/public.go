package httpapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
)

const (
	defaultLimit = 100
	maxLimit     = 1000
)

func pageParams(c *gin.Context) (after string, limit int, err error) {
	limit = defaultLimit
	if s := c.Query("limit"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 || n > maxLimit {
			return "", 0, badParam("limit %q must be an integer from 1 to %d", s, maxLimit)
		}
		limit = n
	}
	after = c.Query("after")
	if len(after) > 256 {
		return "", 0, badParam("after cursor longer than 256 characters")
	}
	return after, limit, nil
}

// Page is the envelope of list answers.
type Page struct {
	Items           []any  `json:"items"`
	Next            string `json:"next,omitempty"`
	RegistryVersion uint64 `json:"registry_version"`
}

// seqParam reads an optional sequence-number query parameter (0 when absent).
func seqParam(c *gin.Context, name string) (uint64, error) {
	s := c.Query(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, badParam("%s %q is not a sequence number", name, s)
	}
	return n, nil
}

func (a *api) list(k trustregistry.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		after, limit, err := pageParams(c)
		if err != nil {
			statuses.Write(c, err)
			return
		}
		idx := a.svc.Index()
		if e := c.Query("entity"); e != "" && k == trustregistry.KindAuthority {
			// Look an authority up by one of its DIDs or key thumbprints.
			items := []any{}
			if au, ok := idx.AuthorityByEntity(e); ok {
				items = append(items, au)
			}
			c.JSON(http.StatusOK, Page{Items: items, RegistryVersion: idx.Version()})
			return
		}
		items, next := idx.Page(k, after, limit)
		c.JSON(http.StatusOK, Page{Items: items, Next: next, RegistryVersion: idx.Version()})
	}
}

func (a *api) get(k trustregistry.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		idx := a.svc.Index()
		o := idx.State().Object(k, c.Param("id"))
		if o == nil {
			statuses.Write(c, errs.Errorf(trustregistry.CodeNotFound, "%s %q: %w", k, c.Param("id"), trustregistry.ErrNotFound))
			return
		}
		c.Header(HeaderVersion, strconv.FormatUint(idx.Version(), 10))
		c.JSON(http.StatusOK, o)
	}
}

func (a *api) registryInfo(c *gin.Context) {
	idx := a.svc.Index()
	st := idx.State()
	out := gin.H{"version": st.Version, "updated_at": st.UpdatedAt, "counts": gin.H{
		"jurisdictions": len(st.Jurisdictions), "schemes": len(st.Schemes), "authorities": len(st.Authorities),
		"agreements": len(st.Agreements), "recognitions": len(st.Recognitions)}}
	if r, ok := a.svc.Snapshot(); ok {
		out["snapshot_sequence"] = r.Sequence
	}
	c.JSON(http.StatusOK, out)
}

// waitParam reads the optional long-poll wait (a duration or seconds), capped at MaxWait.
func (a *api) waitParam(c *gin.Context) (time.Duration, error) {
	s := c.Query("wait")
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil {
			return 0, badParam("wait %q is not a duration (25s) or seconds", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 {
		return 0, badParam("wait %q is negative", s)
	}
	return min(d, a.o.MaxWait), nil
}

// GET /v1/snapshot[?after=SEQ&wait=25s]: the latest signed snapshot (application/jose). With
// after, it waits up to wait for a snapshot newer than SEQ and answers 204 if none came. The
// body is gzip-compressed for clients that accept it (compressed once per snapshot); the ETag
// names the sequence and the encoding, and If-None-Match with it answers 304.
func (a *api) snapshot(c *gin.Context) {
	after, err := seqParam(c, "after")
	if err != nil {
		statuses.Write(c, err)
		return
	}
	wait, err := a.waitParam(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	rec, ok := a.svc.Snapshot()
	if !ok {
		statuses.Write(c, errs.Errorf(trustregistry.CodeNoSnapshot, "no snapshot published yet"))
		return
	}
	if after > 0 && rec.Sequence <= after {
		if wait > 0 {
			ctx, cancel := contextWithTimeout(c, wait)
			rec, ok = a.svc.WaitSnapshot(ctx, after)
			cancel()
		} else {
			ok = false
		}
		if !ok {
			cur, _ := a.svc.Snapshot()
			c.Header(HeaderSequence, strconv.FormatUint(cur.Sequence, 10))
			c.Status(http.StatusNoContent)
			return
		}
	}
	c.Header(HeaderSequence, strconv.FormatUint(rec.Sequence, 10))
	c.Header(HeaderVersion, strconv.FormatUint(rec.Version, 10))
	c.Header("Cache-Control", "no-cache")
	c.Header("Vary", "Accept-Encoding")
	gz := acceptsGzip(c.GetHeader("Accept-Encoding"))
	etag := `"` + strconv.FormatUint(rec.Sequence, 10) + `"`
	if gz {
		etag = `"` + strconv.FormatUint(rec.Sequence, 10) + `-gzip"`
	}
	c.Header("ETag", etag)
	if inm := c.GetHeader("If-None-Match"); inm != "" && etagMatches(inm, etag) {
		c.Status(http.StatusNotModified)
		return
	}
	if !gz {
		c.Data(http.StatusOK, ContentTypeJOSE, rec.JWS)
		return
	}
	body, err := a.gz.of(rec)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Header("Content-Encoding", "gzip")
	c.Data(http.StatusOK, ContentTypeJOSE, body)
}

// GET /v1/snapshot/deltas?after=VERSION[&wait=25s][&limit=N]: the signed deltas from registry
// version VERSION on (a DeltaList, gzip-compressed when accepted and large). With wait, it
// waits for one when there is none yet and answers 204 if none came; 410 delta_unavailable
// when the registry keeps no unbroken run from VERSION (fetch the snapshot).
func (a *api) deltas(c *gin.Context) {
	if c.Query("after") == "" {
		statuses.Write(c, badParam("after (the registry version held) is required"))
		return
	}
	after, err := seqParam(c, "after")
	if err != nil {
		statuses.Write(c, err)
		return
	}
	wait, err := a.waitParam(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	limit := maxLimit
	if s := c.Query("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > maxLimit {
			statuses.Write(c, badParam("limit %q must be an integer from 1 to %d", s, maxLimit))
			return
		}
	}
	ds, err := a.svc.Deltas(after, limit)
	if err == nil && len(ds) == 0 && wait > 0 {
		ctx, cancel := contextWithTimeout(c, wait)
		ds, err = a.svc.WaitDeltas(ctx, after, limit)
		cancel()
	}
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	if len(ds) == 0 {
		c.Header(HeaderVersion, strconv.FormatUint(after, 10))
		c.Status(http.StatusNoContent)
		return
	}
	// A compact JWS is base64url and dots: it needs no JSON escaping.
	var b bytes.Buffer
	b.WriteString(`{"deltas":[`)
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.Write(d)
		b.WriteByte('"')
	}
	b.WriteString("]}")
	c.Header(HeaderVersion, strconv.FormatUint(after+uint64(len(ds)), 10))
	c.Header("Vary", "Accept-Encoding")
	if b.Len() > 8<<10 && acceptsGzip(c.GetHeader("Accept-Encoding")) {
		z, err := gzipBytes(b.Bytes())
		if err == nil {
			c.Header("Content-Encoding", "gzip")
			c.Data(http.StatusOK, "application/json", z)
			return
		}
	}
	c.Data(http.StatusOK, "application/json", b.Bytes())
}

func (a *api) snapshotKey(c *gin.Context) {
	b, err := a.svc.PublicKeyJWK()
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Data(http.StatusOK, "application/jwk+json", b)
}

func (a *api) rotations(c *gin.Context) {
	rs, err := a.svc.Rotations(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, string(r.JWS))
	}
	c.JSON(http.StatusOK, trustregistry.RotationList{Rotations: out})
}

// TRQPContext is the context member of TRQP requests; time, issued_at and as_of_version are
// understood, other members are echoed back.
type TRQPContext struct {
	Time        *time.Time `json:"time,omitempty"`
	IssuedAt    *time.Time `json:"issued_at,omitempty"`
	AsOfVersion uint64     `json:"as_of_version,omitempty"`
	AsKnownAt   *time.Time `json:"as_known_at,omitempty"`
}

// TRQPRequest is a TRQP v2 authorization or recognition query.
type TRQPRequest struct {
	EntityID    string          `json:"entity_id"`
	AuthorityID string          `json:"authority_id"`
	Action      string          `json:"action"`
	Resource    string          `json:"resource"`
	Context     json.RawMessage `json:"context,omitempty"`
}

// TRQPResponse answers a TRQP query with our grounds block.
type TRQPResponse struct {
	EntityID      string                 `json:"entity_id"`
	AuthorityID   string                 `json:"authority_id"`
	Action        string                 `json:"action"`
	Resource      string                 `json:"resource"`
	Authorized    *bool                  `json:"authorized,omitempty"`
	Recognized    *bool                  `json:"recognized,omitempty"`
	TimeRequested time.Time              `json:"time_requested"`
	TimeEvaluated time.Time              `json:"time_evaluated"`
	Message       string                 `json:"message"`
	Context       json.RawMessage        `json:"context,omitempty"`
	Grounds       trustregistry.Decision `json:"grounds"`
}

func (a *api) decodeTRQP(c *gin.Context, actions ...string) (TRQPRequest, TRQPContext, error) {
	var req TRQPRequest
	var tc TRQPContext
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return req, tc, err
	}
	if len(req.Context) > 0 && string(req.Context) != "null" {
		if err := json.Unmarshal(req.Context, &tc); err != nil {
			return req, tc, errs.Errorf(trustregistry.CodeValidationFailed, "context: %v", err)
		}
	}
	if req.EntityID == "" || len(req.EntityID) > 2048 {
		return req, tc, errs.Errorf(trustregistry.CodeValidationFailed, "entity_id is required (at most 2048 characters)")
	}
	if len(req.AuthorityID) > 256 || len(req.Resource) > 256 {
		return req, tc, errs.Errorf(trustregistry.CodeValidationFailed, "authority_id and resource are at most 256 characters")
	}
	if req.Action == "" {
		req.Action = actions[0]
	}
	ok := false
	for _, x := range actions {
		ok = ok || req.Action == x
	}
	if !ok {
		return req, tc, errs.Errorf(trustregistry.CodeUnsupportedAction, "action %q is not supported here (use %s)", req.Action, strings.Join(actions, " or "))
	}
	return req, tc, nil
}

// POST /authorization: is entity_id (an issuer DID or key thumbprint) authorised to issue
// resource (a credential type), recognised by authority_id (the local scheme; empty = any)?
func (a *api) authorization(c *gin.Context) {
	req, tc, err := a.decodeTRQP(c, "issue")
	if err != nil {
		statuses.Write(c, err)
		return
	}
	if req.Resource == "" {
		statuses.Write(c, errs.Errorf(trustregistry.CodeValidationFailed, "resource (the credential type) is required"))
		return
	}
	now := time.Now().UTC()
	q := trustregistry.Query{Entity: req.EntityID, CredentialType: req.Resource, LocalScheme: req.AuthorityID, At: now, AsOfVersion: tc.AsOfVersion}
	if trustregistry.ValidThumbprint(req.EntityID) {
		q.KeyThumbprint = req.EntityID // the grounds then carry the key's provenance
	}
	if tc.AsKnownAt != nil {
		q.AsKnownAt = tc.AsKnownAt.UTC()
	}
	if tc.Time != nil {
		q.At = tc.Time.UTC()
	}
	if tc.IssuedAt != nil {
		q.IssuedAt = tc.IssuedAt.UTC()
	}
	d, err := a.svc.Decide(c, q)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	ok := d.Recognised
	a.answer(c, TRQPResponse{EntityID: req.EntityID, AuthorityID: req.AuthorityID, Action: req.Action, Resource: req.Resource,
		Authorized: &ok, TimeRequested: q.At, TimeEvaluated: now, Message: d.Message, Context: req.Context, Grounds: d})
}

// POST /recognition: does authority_id (the local scheme) recognise entity_id for resource (a
// credential type)? entity_id is a foreign scheme id (scheme-to-scheme recognition; resource
// empty = any type) or an issuer's DID or key thumbprint (then resource is required and the
// answer is the full issuer decision).
func (a *api) recognition(c *gin.Context) {
	req, tc, err := a.decodeTRQP(c, "recognize", "recognise", "issue")
	if err != nil {
		statuses.Write(c, err)
		return
	}
	if req.AuthorityID == "" {
		statuses.Write(c, errs.Errorf(trustregistry.CodeValidationFailed, "authority_id (the recognising scheme) is required"))
		return
	}
	now := time.Now().UTC()
	at := now
	if tc.Time != nil {
		at = tc.Time.UTC()
	}
	var d trustregistry.Decision
	if _, isEntity := a.svc.Index().AuthorityByEntity(req.EntityID); isEntity {
		if req.Resource == "" {
			statuses.Write(c, errs.Errorf(trustregistry.CodeValidationFailed, "resource (the credential type) is required when entity_id is an issuer"))
			return
		}
		q := trustregistry.Query{Entity: req.EntityID, CredentialType: req.Resource, LocalScheme: req.AuthorityID, At: at, AsOfVersion: tc.AsOfVersion}
		if tc.AsKnownAt != nil {
			q.AsKnownAt = tc.AsKnownAt.UTC()
		}
		if tc.IssuedAt != nil {
			q.IssuedAt = tc.IssuedAt.UTC()
		}
		d, err = a.svc.Decide(c, q)
	} else {
		d, err = a.svc.DecideRecognition(c, trustregistry.RecognitionQuery{LocalScheme: req.AuthorityID, ForeignScheme: req.EntityID, CredentialType: req.Resource, At: at}, tc.AsOfVersion)
	}
	if err != nil {
		statuses.Write(c, err)
		return
	}
	ok := d.Recognised
	a.answer(c, TRQPResponse{EntityID: req.EntityID, AuthorityID: req.AuthorityID, Action: req.Action, Resource: req.Resource,
		Recognized: &ok, TimeRequested: at, TimeEvaluated: now, Message: d.Message, Context: req.Context, Grounds: d})
}

// answer renders JSON, or a JWS signed by the registry key when ?signed=true or Accept asks
// for application/jose.
func (a *api) answer(c *gin.Context, resp TRQPResponse) {
	if !wantsJOSE(c) {
		c.JSON(http.StatusOK, resp)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	jws, err := a.svc.SignJWS(ResponseType, b)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Data(http.StatusOK, ContentTypeJOSE, jws)
}

func wantsJOSE(c *gin.Context) bool {
	if v := c.Query("signed"); v != "" {
		b, _ := strconv.ParseBool(v)
		return b
	}
	for _, part := range strings.Split(c.GetHeader("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == ContentTypeJOSE {
			return true
		}
	}
	return false
}
