// Package httpapi is the issuer's HTTP interface on gin (through pkg/httpx): the W3C VC-API
// endpoints POST /credentials/issue and POST /credentials/status for authenticated clients,
// and the public DID document, JWKS, SD-JWT VC issuer metadata and status lists. Handlers
// are thin: decode, one core call, render; errors become problem+json through one table.
//
// Response shape of POST /credentials/issue: 201 {"verifiableCredential": V} where V is
//   - vc+jwt (VC-JOSE-COSE): the enveloped form {"@context": [v2], "id": "data:application/vc+jwt,<jwt>",
//     "type": "EnvelopedVerifiableCredential"} (VC 2.0 section 4.13);
//   - jwt_vc_json (VC-JWT 1.1) and dc+sd-jwt (SD-JWT VC): the token as a JSON string, since the
//     VC 1.1 data model has no enveloped form and an SD-JWT VC is not a W3C credential;
//   - ldp_vc (Data Integrity): the credential with its embedded proof.
//
// The credential id is also sent in the Idport-Credential-Id header (an SD-JWT VC carries
// none inside) for later POST /credentials/status calls.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/idport/idport/docs"
	"github.com/idport/idport/issuer/internal/core"
	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/pkg/vc"
)

// CredentialIDHeader carries the id of an issued credential.
const CredentialIDHeader = "Idport-Credential-Id"

// Options configures the handler.
type Options struct {
	// Logger receives access and error logs; nil means slog.Default().
	Logger *slog.Logger
	// Registry receives metrics; nil means a fresh registry.
	Registry *prometheus.Registry
	// MaxBodyBytes bounds request bodies (default 256 KiB).
	MaxBodyBytes int64
	// Ready reports readiness for /readyz.
	Ready func() error
	// Backup makes an online backup of the issuer's store for GET /admin/backup; nil answers
	// 501 backup_unsupported.
	Backup func(ctx context.Context) (*boltkv.Spool, error)
}

type api struct {
	is     *core.Issuer
	backup func(ctx context.Context) (*boltkv.Spool, error)
	issued *prometheus.CounterVec
	status *prometheus.CounterVec
}

// New returns the issuer's HTTP handler.
func New(is *core.Issuer, o Options) *gin.Engine {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 256 << 10
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	e := httpx.NewEngine(httpx.Options{Name: "issuer", Logger: o.Logger, MaxBodyBytes: o.MaxBodyBytes,
		Ready: o.Ready, Registry: o.Registry})
	a := &api{is: is, backup: o.Backup,
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "idport_issuer_credentials_issued_total",
			Help: "Credentials issued, by credential type and format."}, []string{"type", "format"}),
		status: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "idport_issuer_status_changes_total",
			Help: "Credential status changes, by credential type and new state."}, []string{"type", "state"}),
	}
	o.Registry.MustRegister(a.issued, a.status)
	e.POST("/credentials/issue", a.auth, a.issue)
	e.POST("/credentials/status", a.auth, a.changeStatus)
	e.GET("/.well-known/did.json", a.didDocument)
	// A base URL with a path (https://host/issuers/sg) names did:web:host:issuers:sg, whose
	// document is fetched from <base URL>/did.json: serve it there too for a proxy that
	// strips the path prefix.
	e.GET("/did.json", a.didDocument)
	e.GET("/.well-known/jwks.json", a.jwks)
	e.GET("/.well-known/jwt-vc-issuer", a.issuerMetadata)
	e.GET("/status/bitstring/:list", a.bitstring)
	e.GET("/status/token/:list", a.tokenList)
	e.GET("/credential-types", a.types)
	e.GET("/types/:name", a.typeMetadata)
	e.GET("/admin/backup", a.auth, a.requireAdmin, a.serveBackup)
	e.GET("/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", OpenAPI) })
	return e
}

// OpenAPI is the OpenAPI 3 description of idport's APIs (docs/openapi.yaml), served at
// GET /openapi.yaml.
var OpenAPI = docs.OpenAPI

const clientKey = "idport.issuer.client"

// problem maps a core error to its HTTP status and stable code (the one table).
func problem(err error) error {
	var coded httpx.Coded
	if errors.As(err, &coded) && core.Code(err) == "" {
		return err // already coded (httpx decoding errors)
	}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, core.ErrUnauthenticated):
		status = http.StatusUnauthorized
	case errors.Is(err, core.ErrScope):
		status = http.StatusForbidden
	case errors.Is(err, core.ErrCredentialNotFound), errors.Is(err, core.ErrStatusListNotFound):
		status = http.StatusNotFound
	case errors.Is(err, core.ErrStatusConflict), errors.Is(err, core.ErrDuplicateCredential):
		status = http.StatusConflict
	case errors.Is(err, core.ErrUnknownType), errors.Is(err, core.ErrMissingClaim), errors.Is(err, core.ErrClaimType),
		errors.Is(err, core.ErrUnknownClaim), errors.Is(err, core.ErrSubjectTooLarge), errors.Is(err, core.ErrUnsupportedFormat),
		errors.Is(err, core.ErrAlgNotAllowed), errors.Is(err, core.ErrInvalidHolderKey), errors.Is(err, core.ErrIssuerMismatch),
		errors.Is(err, core.ErrInvalidStatus), errors.Is(err, core.ErrInvalidCredential), errors.Is(err, core.ErrInvalidRequest):
		status = http.StatusBadRequest
	case errors.Is(err, core.ErrStatusExhausted), errors.Is(err, core.ErrClosed):
		status = http.StatusServiceUnavailable
	default:
		return err // internal: logged, detail hidden
	}
	return httpx.NewError(status, core.Code(err), err)
}

func (a *api) auth(c *gin.Context) {
	cl, err := a.is.Authenticate(httpx.BearerToken(c))
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="idport-issuer"`)
		httpx.WriteError(c, problem(err))
		return
	}
	c.Set(clientKey, cl)
	c.Next()
}

func client(c *gin.Context) *core.Client {
	v, _ := c.Get(clientKey)
	cl, _ := v.(*core.Client)
	return cl
}

// IssueRequest is the body of POST /credentials/issue: the VC-API form (credential + options)
// or idport's template form (type + credentialSubject), never both.
type IssueRequest struct {
	// Credential is a complete unsigned credential (VC-API).
	Credential json.RawMessage `json:"credential,omitempty"`
	// Options are VC-API options; idport reads format, holderJwk and disclosable from them.
	Options *IssueOptions `json:"options,omitempty"`
	// Type names a configured credential type (template form).
	Type string `json:"type,omitempty"`
	// CredentialSubject holds the subject claims (template form).
	CredentialSubject map[string]any `json:"credentialSubject,omitempty"`
	IssueOptions
}

// IssueOptions choose the format and the holder binding.
type IssueOptions struct {
	// Format is vc+jwt, jwt_vc_json, dc+sd-jwt or ldp_vc.
	Format string `json:"format,omitempty"`
	// HolderJWK is the holder's public JWK.
	HolderJWK json.RawMessage `json:"holderJwk,omitempty"`
	// Disclosable overrides the selectively disclosable claims (SD-JWT VC).
	Disclosable []string `json:"disclosable,omitempty"`
}

func (a *api) issue(c *gin.Context) {
	var req IssueRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	r := core.Request{Type: req.Type, Subject: req.CredentialSubject, Credential: req.Credential,
		Format: req.Format, HolderJWK: req.HolderJWK, Disclosable: req.Disclosable, Client: client(c)}
	if string(bytesTrim(req.Credential)) == "null" {
		r.Credential = nil
	}
	if o := req.Options; o != nil {
		if o.Format != "" {
			r.Format = o.Format
		}
		if len(o.HolderJWK) > 0 {
			r.HolderJWK = o.HolderJWK
		}
		if o.Disclosable != nil {
			r.Disclosable = o.Disclosable
		}
	}
	out, err := a.is.Issue(c.Request.Context(), r)
	if err != nil {
		httpx.WriteError(c, problem(err))
		return
	}
	a.issued.WithLabelValues(out.Type, string(out.Format)).Inc()
	var v []byte
	switch out.Format {
	case vc.FormatVCJOSE:
		v = vc.Envelope(vc.MediaTypeVCJWT, out.Token)
	case vc.FormatDI:
		v = out.Document
	default:
		v, _ = json.Marshal(out.Token)
	}
	// The credential is JSON already; wrap it without re-encoding it.
	body := make([]byte, 0, len(v)+26)
	body = append(append(append(body, `{"verifiableCredential":`...), v...), '}')
	c.Header(CredentialIDHeader, out.ID)
	c.Data(http.StatusCreated, "application/json; charset=utf-8", body)
}

func bytesTrim(b []byte) []byte { return []byte(strings.TrimSpace(string(b))) }

// StatusRequest is the body of POST /credentials/status: the VC-API form
// {"credentialId", "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose", "status"}]}
// or idport's {"credentialId", "action": "revoke" | "suspend" | "reinstate"}.
type StatusRequest struct {
	CredentialID     string              `json:"credentialId"`
	Action           string              `json:"action,omitempty"`
	CredentialStatus []StatusUpdateEntry `json:"credentialStatus,omitempty"`
}

// StatusUpdateEntry is one VC-API status update.
type StatusUpdateEntry struct {
	Type          string          `json:"type,omitempty"`
	StatusPurpose string          `json:"statusPurpose"`
	Status        json.RawMessage `json:"status"`
}

func (e StatusUpdateEntry) action() (core.Action, error) {
	var on bool
	switch s := strings.Trim(strings.TrimSpace(string(e.Status)), `"`); s {
	case "true", "1", "revoked", "suspended":
		on = true
	case "false", "0", "valid":
	default:
		return "", fmt.Errorf("%w: status %s (want true or false)", core.ErrInvalidRequest, e.Status)
	}
	switch {
	case e.StatusPurpose == "revocation" && on:
		return core.ActionRevoke, nil
	case e.StatusPurpose == "revocation":
		return "", fmt.Errorf("%w: revocation is final and cannot be undone", core.ErrStatusConflict)
	case e.StatusPurpose == "suspension" && on:
		return core.ActionSuspend, nil
	case e.StatusPurpose == "suspension":
		return core.ActionReinstate, nil
	}
	return "", fmt.Errorf("%w: statusPurpose %q (want revocation or suspension)", core.ErrInvalidRequest, e.StatusPurpose)
}

func (a *api) changeStatus(c *gin.Context) {
	var req StatusRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	action := core.Action(req.Action)
	switch {
	case req.Action != "" && len(req.CredentialStatus) > 0:
		httpx.WriteError(c, problem(fmt.Errorf("%w: give action or credentialStatus, not both", core.ErrInvalidRequest)))
		return
	case len(req.CredentialStatus) > 1:
		httpx.WriteError(c, problem(fmt.Errorf("%w: one credentialStatus update per request", core.ErrInvalidRequest)))
		return
	case len(req.CredentialStatus) == 1:
		var err error
		if action, err = req.CredentialStatus[0].action(); err != nil {
			httpx.WriteError(c, problem(err))
			return
		}
	}
	res, err := a.is.ChangeStatus(c.Request.Context(), client(c), req.CredentialID, action)
	if err != nil {
		httpx.WriteError(c, problem(err))
		return
	}
	if res.Changed {
		a.status.WithLabelValues(res.Type, res.State).Inc()
	}
	c.JSON(http.StatusOK, res)
}

func (a *api) didDocument(c *gin.Context) {
	a.document(c, "application/did+json", a.is.DIDDocument)
}

func (a *api) jwks(c *gin.Context) { a.document(c, "application/jwk-set+json", a.is.JWKS) }

func (a *api) issuerMetadata(c *gin.Context) { a.document(c, "application/json", a.is.IssuerMetadata) }

func (a *api) document(c *gin.Context, ct string, get func() ([]byte, error)) {
	b, err := get()
	if err != nil {
		httpx.WriteError(c, problem(err))
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, ct, b)
}

func (a *api) bitstring(c *gin.Context) {
	a.list(c, "application/vc+jwt", func() (core.PublishedList, error) {
		return a.is.BitstringList(c.Request.Context(), c.Param("list"))
	})
}

func (a *api) tokenList(c *gin.Context) {
	a.list(c, "application/statuslist+jwt", func() (core.PublishedList, error) {
		return a.is.TokenList(c.Request.Context(), c.Param("list"))
	})
}

func (a *api) list(c *gin.Context, ct string, get func() (core.PublishedList, error)) {
	l, err := get()
	if err != nil {
		httpx.WriteError(c, problem(err))
		return
	}
	c.Header("Cache-Control", "public, max-age="+strconv.Itoa(int(l.MaxAge.Seconds())))
	c.Header("ETag", l.ETag)
	if c.GetHeader("If-None-Match") == l.ETag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, ct, []byte(l.Token))
}

func (a *api) typeMetadata(c *gin.Context) {
	b, err := a.is.TypeMetadata(c.Param("name"))
	if err != nil {
		httpx.WriteError(c, httpx.NewError(http.StatusNotFound, core.Code(err), err))
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", b)
}

func (a *api) types(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, gin.H{"issuer": a.is.DID(), "types": a.is.Types()})
}
