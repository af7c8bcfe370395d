package httpapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/dcql"
	"github.com/idport/idport/verifier/openid4vp"
	"github.com/idport/idport/verifier/profiles"
)

// Problem codes of the OpenID4VP endpoints (besides the SDK's).
const (
	// CodeOpenID4VPDisabled: the service has no relying-party API key
	// configured, so that nobody may create presentation requests.
	CodeOpenID4VPDisabled = "openid4vp_disabled"
)

// MaxOutcomeWait bounds the long-poll of an outcome.
const MaxOutcomeWait = 60 * time.Second

// OpenID4VPOptions configures the OpenID4VP endpoints.
type OpenID4VPOptions struct {
	// APIKey authenticates relying-party back ends (Authorization: Bearer).
	// Empty: the endpoints that create requests and read outcomes answer
	// 503 openid4vp_disabled.
	APIKey string
	// BaseURL is the verifier's public URL as wallets reach it (request
	// and response URIs are made from it).
	BaseURL string
	// Signer signs request objects (client id decentralized_identifier:);
	// nil: only redirect_uri: client ids (unsigned requests).
	Signer *openid4vp.Signer
	// Store keeps transactions (a memory store when nil).
	Store openid4vp.TransactionStore
	// Lifetime of a request (openid4vp.DefaultLifetime when 0).
	Lifetime time.Duration
}

type vpHandlers struct {
	v        *verifier.Verifier
	o        OpenID4VPOptions
	enabled  bool // OpenID4VP is configured (profile routes need no API key)
	profiles *profiles.Set
	store    openid4vp.TransactionStore
	poll     time.Duration
}

// vpOwnerKey holds the openid4vp.Owner of a request under a profile.
const vpOwnerKey = "idport.verifier.openid4vp.owner"

// mountOpenID4VP registers the OpenID4VP routes on e: the relying party's
// (create a request, read its outcome and QR code) under /openid4vp with
// the service's API key and under /profiles/{profile}/openid4vp with a
// relying party's profile key, and the wallet's (request object,
// response). o nil: the relying party's routes answer 503
// openid4vp_disabled.
func mountOpenID4VP(e *gin.Engine, v *verifier.Verifier, o *OpenID4VPOptions, set *profiles.Set) {
	h := &vpHandlers{v: v, enabled: o != nil, profiles: set, poll: 100 * time.Millisecond}
	if o != nil {
		h.o = *o
	}
	h.store = h.o.Store
	if h.store == nil {
		h.store = openid4vp.NewMemoryTransactions()
	}
	h.o.BaseURL = strings.TrimRight(h.o.BaseURL, "/")
	for _, g := range []*gin.RouterGroup{e.Group("/openid4vp", h.auth), e.Group("/profiles/:profile/openid4vp", h.profileAuth)} {
		g.POST("/requests", h.create)
		g.GET("/requests/:id", h.outcome)
		g.GET("/requests/:id/qr.png", h.qr)
		g.GET("/requests/:id/qr.svg", h.qr)
	}
	e.GET("/openid4vp/request-objects/:id", h.requestObject)
	e.POST("/openid4vp/responses/:id", h.response)
}

// profileAuth authenticates a relying party by its profile key (the rules
// of selectProfile: 401, 404 profile_not_found, 403 profile_forbidden) and
// puts its profile's policy and the transaction owner on the request.
func (h *vpHandlers) profileAuth(c *gin.Context) {
	if !h.enabled {
		statuses.Write(c, errs.New(CodeOpenID4VPDisabled, "OpenID4VP is not configured on this verifier"))
		c.Abort()
		return
	}
	sel, ok := authorizeProfile(c, h.profiles)
	if !ok {
		return
	}
	c.Set(profilePolicyKey, sel.Policy)
	c.Set(vpOwnerKey, openid4vp.Owner{RelyingParty: sel.RelyingParty, Profile: sel.Profile})
	c.Next()
}

// caller returns the owner a request acts for (zero on the API key's
// routes) and the policy its transactions start from.
func (h *vpHandlers) caller(c *gin.Context) (openid4vp.Owner, verifier.Policy) {
	owner, _ := c.Value(vpOwnerKey).(openid4vp.Owner)
	if p, ok := c.Value(profilePolicyKey).(verifier.Policy); ok {
		return owner, p
	}
	return owner, h.v.Policy()
}

// requestsURL is where owner reads its transactions.
func (h *vpHandlers) requestsURL(owner openid4vp.Owner) string {
	if owner.IsZero() {
		return h.o.BaseURL + "/openid4vp/requests/"
	}
	return h.o.BaseURL + "/profiles/" + owner.Profile + "/openid4vp/requests/"
}

// ownTransaction returns the transaction the request's :id names if the
// caller owns it. One of another owner (another relying party or profile,
// the API key's read under a profile or the other way round) is
// openid4vp.ErrTransactionUnknown, the very answer to an unknown id, so
// that its existence does not leak.
func (h *vpHandlers) ownTransaction(c *gin.Context) (*openid4vp.Transaction, error) {
	owner, _ := h.caller(c)
	tx, err := h.store.Get(c.Request.Context(), c.Param("id"), time.Now())
	if err != nil {
		return nil, err
	}
	if tx.Owner != owner {
		return nil, openid4vp.ErrTransactionUnknown
	}
	return tx, nil
}

// transactionPolicy is the policy a transaction's answer is verified
// under: its profile's (looked up again: the profile file is the truth),
// or the service's.
func (h *vpHandlers) transactionPolicy(tx *openid4vp.Transaction) (verifier.Policy, error) {
	if tx.Owner.IsZero() {
		return h.v.Policy(), nil
	}
	return h.profiles.Policy(tx.Owner.Profile, tx.Owner.RelyingParty)
}

func (h *vpHandlers) auth(c *gin.Context) {
	if h.o.APIKey == "" {
		statuses.Write(c, errs.New(CodeOpenID4VPDisabled, "no relying-party API key is configured"))
		c.Abort()
		return
	}
	if subtle.ConstantTimeCompare([]byte(httpx.BearerToken(c)), []byte(h.o.APIKey)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="idport-verifier"`)
		statuses.Write(c, errs.New(httpx.CodeUnauthorized, "a valid relying-party API key is required"))
		c.Abort()
	}
}

// createRequest is the body of POST /openid4vp/requests.
type createRequest struct {
	DCQLQuery json.RawMessage `json:"dcql_query"`
	// ResponseMode: direct_post.jwt (default) or direct_post.
	ResponseMode string `json:"response_mode,omitempty"`
	// ClientIDPrefix: decentralized_identifier (default when the service
	// has a signing key) or redirect_uri.
	ClientIDPrefix string `json:"client_id_prefix,omitempty"`
	// Options narrow the verifier's policy (as /presentations/verify's);
	// overDisclosure is "refuse" (default) or "withhold".
	Options txOptions `json:"options"`
}

type txOptions struct {
	verifier.RequestPolicy
	OverDisclosure string `json:"overDisclosure,omitempty"`
}

// CreatedRequest is the answer of POST /openid4vp/requests.
type CreatedRequest struct {
	TransactionID string    `json:"transaction_id"`
	ClientID      string    `json:"client_id"`
	RequestURI    string    `json:"request_uri"`
	DeepLink      string    `json:"deep_link"`
	QRPNG         string    `json:"qr_png"`
	QRSVG         string    `json:"qr_svg"`
	Expires       time.Time `json:"expires"`
}

// readCreateRequest reads the body of POST /openid4vp/requests under the rules of the verify
// requests (readVerifyRequest): names match exactly, and a member, or an option, given twice
// or named like an option but not exactly is refused (400 malformed_json), so that a gateway
// and the verifier read the same narrowing. Unknown members are ignored.
func readCreateRequest(c *gin.Context) (createRequest, error) {
	var body createRequest
	members, err := httpx.DecodeMembers(c)
	if err != nil {
		return body, err
	}
	for _, m := range members {
		switch m.Name {
		case "dcql_query":
			body.DCQLQuery = m.Value
		case "response_mode":
			err = httpx.UnmarshalJSON(c, m.Value, &body.ResponseMode)
		case "client_id_prefix":
			err = httpx.UnmarshalJSON(c, m.Value, &body.ClientIDPrefix)
		case "options":
			err = decodeExactly(c, m.Value, &body.Options, txOptionNames())
		}
		if err != nil {
			return body, err
		}
	}
	return body, nil
}

func (h *vpHandlers) create(c *gin.Context) {
	body, err := readCreateRequest(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	q, err := dcql.Parse(body.DCQLQuery)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	if body.Options.OverDisclosure != "" && body.Options.OverDisclosure != "refuse" && body.Options.OverDisclosure != "withhold" {
		statuses.Write(c, errs.Errorf(openid4vp.ErrInvalidRequest.Code, "overDisclosure %q (want refuse or withhold)", body.Options.OverDisclosure))
		return
	}
	// The options are checked as /presentations/verify checks its own: an
	// unknown or a disallowed weaker holder binding is refused now, not
	// dropped when the wallet answers.
	owner, base := h.caller(c)
	if _, err := base.NarrowChecked(body.Options.RequestPolicy); err != nil {
		statuses.Write(c, err)
		return
	}
	var signer *openid4vp.Signer
	switch body.ClientIDPrefix {
	case "", strings.TrimSuffix(openid4vp.PrefixDID, ":"):
		signer = h.o.Signer
		if signer == nil && body.ClientIDPrefix != "" {
			statuses.Write(c, errs.New(openid4vp.ErrInvalidRequest.Code, "this verifier has no DID signing key: use client_id_prefix redirect_uri"))
			return
		}
	case strings.TrimSuffix(openid4vp.PrefixRedirectURI, ":"):
	default:
		statuses.Write(c, errs.Errorf(openid4vp.ErrInvalidRequest.Code, "client_id_prefix %q (want decentralized_identifier or redirect_uri)", body.ClientIDPrefix))
		return
	}
	id := openid4vp.NewTransactionID()
	now := time.Now()
	req, err := openid4vp.NewRequest(openid4vp.Params{
		Query: q, ResponseURI: h.o.BaseURL + "/openid4vp/responses/" + id, ResponseMode: body.ResponseMode,
		Signer: signer, Lifetime: h.o.Lifetime,
	}, now)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	opts, err := json.Marshal(body.Options)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	if err := h.store.Create(c.Request.Context(), &openid4vp.Transaction{ID: id, Request: *req, Options: opts, Owner: owner}); err != nil {
		statuses.Write(c, err)
		return
	}
	self := h.requestsURL(owner) + id
	requestURI := h.o.BaseURL + "/openid4vp/request-objects/" + id
	c.JSON(http.StatusCreated, CreatedRequest{
		TransactionID: id, ClientID: req.ClientID, RequestURI: requestURI, DeepLink: req.DeepLink(requestURI),
		QRPNG: self + "/qr.png", QRSVG: self + "/qr.svg", Expires: req.Expires,
	})
}

// requestObject serves the request object to the wallet (GET request_uri).
func (h *vpHandlers) requestObject(c *gin.Context) {
	tx, err := h.store.Get(c.Request.Context(), c.Param("id"), time.Now())
	if err == nil && tx.Done {
		err = openid4vp.ErrTransactionDone
	}
	if err != nil {
		statuses.Write(c, err)
		return
	}
	obj, err := tx.Request.Object(h.o.Signer, time.Now())
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/oauth-authz-req+jwt", []byte(obj))
}

// response receives the wallet's direct_post or direct_post.jwt.
func (h *vpHandlers) response(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	tx, err := h.store.Get(ctx, id, time.Now())
	if err == nil && tx.Done {
		err = openid4vp.ErrTransactionDone
	}
	if err != nil {
		statuses.Write(c, err)
		return
	}
	if ct := c.ContentType(); ct != "application/x-www-form-urlencoded" {
		statuses.Write(c, errs.Errorf(openid4vp.ErrInvalidResponse.Code, "content type %q (want application/x-www-form-urlencoded)", ct))
		return
	}
	body, err := httpx.ReadBody(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		statuses.Write(c, errs.Wrap(openid4vp.ErrInvalidResponse.Code, "the response is not a valid form", err))
		return
	}
	resp, err := openid4vp.ParseResponse(form, &tx.Request)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	var o txOptions
	if len(tx.Options) > 0 {
		if err := json.Unmarshal(tx.Options, &o); err != nil {
			statuses.Write(c, fmt.Errorf("transaction options: %w", err))
			return
		}
	}
	base, err := h.transactionPolicy(tx)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	p, err := base.NarrowChecked(o.RequestPolicy)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	vo := openid4vp.Options{Policy: &p}
	if o.OverDisclosure == "withhold" {
		vo.OverDisclosure = openid4vp.WithholdOverDisclosure
	}
	res, err := openid4vp.VerifyResponse(ctx, h.v, &tx.Request, resp, vo)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		statuses.Write(c, fmt.Errorf("encode result: %w", err))
		return
	}
	if err := h.store.Complete(ctx, id, b, time.Now()); err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{})
}

// outcome answers the relying party: 202 {"status":"pending"} while the
// wallet has not answered (after waiting up to ?wait= seconds), then the
// result in the shape of /presentations/verify (200 verified, 400 not).
func (h *vpHandlers) outcome(c *gin.Context) {
	ctx := c.Request.Context()
	wait, _ := strconv.Atoi(c.Query("wait"))
	deadline := time.Now().Add(min(time.Duration(max(wait, 0))*time.Second, MaxOutcomeWait))
	for {
		tx, err := h.ownTransaction(c)
		if err != nil {
			statuses.Write(c, err)
			return
		}
		if tx.Done {
			var res verifier.Result
			if err := json.Unmarshal(tx.Result, &res); err != nil {
				statuses.Write(c, fmt.Errorf("decode stored result: %w", err))
				return
			}
			status := http.StatusOK
			if !res.Verified {
				status = http.StatusBadRequest
			}
			writeResult(c, status, &res)
			return
		}
		if !time.Now().Before(deadline) || !sleep(ctx, h.poll) {
			c.JSON(http.StatusAccepted, gin.H{"status": "pending", "expires": tx.Request.Expires})
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// qr renders the deep link of a pending request as a QR code (PNG or SVG).
func (h *vpHandlers) qr(c *gin.Context) {
	tx, err := h.ownTransaction(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	link := tx.Request.DeepLink(h.o.BaseURL + "/openid4vp/request-objects/" + tx.ID)
	code, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		statuses.Write(c, fmt.Errorf("qr code: %w", err))
		return
	}
	c.Header("Cache-Control", "no-store")
	if strings.HasSuffix(c.FullPath(), ".svg") {
		c.Data(http.StatusOK, "image/svg+xml", qrSVG(code.Bitmap()))
		return
	}
	png, err := code.PNG(320)
	if err != nil {
		statuses.Write(c, fmt.Errorf("qr code: %w", err))
		return
	}
	c.Data(http.StatusOK, "image/png", png)
}

// qrSVG draws a QR bitmap (quiet zone included) as one SVG path of unit
// squares.
func qrSVG(bm [][]bool) []byte {
	var b bytes.Buffer
	n := len(bm)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}
