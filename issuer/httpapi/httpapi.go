// Package httpapi is the issuer's HTTP interface on gin (through pkg/httpx): the W3C VC-API
// endpoints POST /credentials/issue and POST /credentials/status for authenticated clients,
// and the public DID document, JWKS, SD-JWT VC issuer metadata and status lists. Handlers
// are thin: decode, one call into the engine (package issuer), render. Every error is rendered
// by statuses.Write: one table from the issuer's error codes to HTTP statuses; the cause chain
// is logged, never sent. It is the only issuer package that knows HTTP.
//
// New returns the handler over an engine; NewService wires an engine over an open Store
// (issuer/boltstore) with the handler, as the idport binary runs it.
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
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/idport/idport/docs"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/pkg/vc"
	"go.opentelemetry.io/otel/trace"
)

// CredentialIDHeader carries the id of an issued credential.
const CredentialIDHeader = "Idport-Credential-Id"

// RegistryWarningHeader carries the warning of a warn-mode registry check on VC-API and
// OpenID4VCI issuance: the issuer code(s), comma-separated (issuer_not_authorised or
// registry_stale).
const RegistryWarningHeader = "Idport-Registry-Warning"

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
	// TracerProvider, when set, traces every request (httpx.Options.TracerProvider); nil
	// means no tracing.
	TracerProvider trace.TracerProvider
	// OpenID4VCI serves OpenID4VCI over the same engine when not nil (see openid4vci.go).
	OpenID4VCI *openid4vci.Service
	// Tenants are the engines of the deployment's tenants (issuer.OpenTenants), served under
	// /tenants/{name}/ (see tenants.go).
	Tenants []*issuer.Issuer
	// RateLimit, when set with a positive Rate, limits each client's requests (429 with
	// Retry-After): an authenticated client by its API key id, any other by its address.
	RateLimit *httpx.RateLimit
}

type api struct {
	is     *issuer.Issuer
	issued *prometheus.CounterVec
	status *prometheus.CounterVec
	// tenants maps a tenant name to its engine; tenantIssued and tenantStatus count the
	// tenants' credentials and status changes with a tenant label.
	tenants      map[string]*issuer.Issuer
	tenantIssued *prometheus.CounterVec
	tenantStatus *prometheus.CounterVec
}

// New returns the issuer's HTTP handler.
func New(is *issuer.Issuer, o Options) *gin.Engine {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 256 << 10
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	e := httpx.NewEngine(httpx.Options{Name: "issuer", Logger: o.Logger, MaxBodyBytes: o.MaxBodyBytes,
		Ready: o.Ready, Registry: o.Registry, RateLimit: rateLimitByAPIKey(o.RateLimit, is, o.Tenants),
		TracerProvider: o.TracerProvider})
	a := &api{is: is,
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "idport_issuer_credentials_issued_total",
			Help: "Credentials issued, by credential type and format."}, []string{"type", "format"}),
		status: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "idport_issuer_status_changes_total",
			Help: "Credential status changes, by credential type and new state."}, []string{"type", "state"}),
	}
	o.Registry.MustRegister(a.issued, a.status)
	registerRegistryCheckMetrics(o.Registry, is)
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
	e.POST("/onboarding", a.auth, a.onboard)
	e.POST("/onboarding/challenges", a.auth, a.onboardingChallenge)
	e.GET("/onboarding/:id", a.auth, a.onboardingRecord)
	if o.OpenID4VCI != nil {
		a.routesOpenID4VCI(e, o.OpenID4VCI)
	}
	a.routesTenants(e, o.Registry, o.Tenants)
	e.GET("/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", OpenAPI) })
	return e
}

// OpenAPI is the OpenAPI 3 description of idport's APIs (docs/openapi.yaml), served at
// GET /openapi.yaml.
var OpenAPI = docs.OpenAPI

const clientKey = "idport.issuer.client"

// rateLimitByAPIKey returns rl keyed by the API key id of a request whose bearer token is a
// valid API key of the issuer or of one of its tenants (nil stays nil).
func rateLimitByAPIKey(rl *httpx.RateLimit, is *issuer.Issuer, tenants []*issuer.Issuer) *httpx.RateLimit {
	if rl == nil {
		return nil
	}
	out := *rl
	engines := append([]*issuer.Issuer{is}, tenants...)
	out.Principal = func(c *gin.Context) string {
		tok := httpx.BearerToken(c)
		if tok == "" {
			return ""
		}
		for _, e := range engines {
			if cl, err := e.Authenticate(tok); err == nil {
				return cl.ID
			}
		}
		return ""
	}
	return &out
}

// statuses is the issuer's one table from error code to HTTP status; every error is rendered
// through statuses.Write. A code missing here (store_failed, invalid_config, ...) is an
// internal error: logged with its cause, answered 500 without detail.
var statuses = httpx.Statuses{
	issuer.CodeUnauthorized:        http.StatusUnauthorized,
	issuer.CodeForbidden:           http.StatusForbidden,
	issuer.CodeCredentialNotFound:  http.StatusNotFound,
	issuer.CodeStatusListNotFound:  http.StatusNotFound,
	issuer.CodeStatusConflict:      http.StatusConflict,
	issuer.CodeDuplicateCredential: http.StatusConflict,
	issuer.CodeUnknownType:         http.StatusBadRequest,
	issuer.CodeMissingClaim:        http.StatusBadRequest,
	issuer.CodeClaimType:           http.StatusBadRequest,
	issuer.CodeUnknownClaim:        http.StatusBadRequest,
	issuer.CodeSubjectTooLarge:     http.StatusBadRequest,
	issuer.CodeUnsupportedFormat:   http.StatusBadRequest,
	issuer.CodeAlgNotAllowed:       http.StatusBadRequest,
	issuer.CodeInvalidHolderKey:    http.StatusBadRequest,
	issuer.CodeIssuerMismatch:      http.StatusBadRequest,
	issuer.CodeInvalidStatus:       http.StatusBadRequest,
	issuer.CodeInvalidCredential:   http.StatusBadRequest,
	issuer.CodeInvalidRequest:      http.StatusBadRequest,
	issuer.CodeStatusExhausted:     http.StatusServiceUnavailable,
	issuer.CodeClosed:              http.StatusServiceUnavailable,
	issuer.CodeBackupUnsupported:   http.StatusNotImplemented,
	// Registry check (authorised issuance) and cross-border onboarding.
	issuer.CodeIssuerNotAuthorised:  http.StatusForbidden,
	issuer.CodeRegistryStale:        http.StatusServiceUnavailable,
	issuer.CodeOnboardingDisabled:   http.StatusNotFound,
	issuer.CodeOnboardingNotFound:   http.StatusNotFound,
	issuer.CodeForeignNotVerified:   http.StatusBadRequest,
	issuer.CodeForeignNotRecognised: http.StatusForbidden,
	issuer.CodeTenantNotFound:       http.StatusNotFound,
	issuer.CodeTenantDisabled:       http.StatusForbidden,
	issuer.CodeTenantExists:         http.StatusConflict,
	// OpenID4VCI (issuer/openid4vci): OAuth error codes of the wallet-facing endpoints, and
	// the offer API's own.
	openid4vci.CodeInvalidGrant:             http.StatusBadRequest,
	openid4vci.CodeUnsupportedGrantType:     http.StatusBadRequest,
	openid4vci.CodeInvalidToken:             http.StatusUnauthorized,
	openid4vci.CodeInvalidProof:             http.StatusBadRequest,
	openid4vci.CodeInvalidNonce:             http.StatusBadRequest,
	openid4vci.CodeInvalidCredentialRequest: http.StatusBadRequest,
	openid4vci.CodeUnknownConfiguration:     http.StatusBadRequest,
	openid4vci.CodeRequestDenied:            http.StatusBadRequest,
	openid4vci.CodeInvalidNotificationID:    http.StatusBadRequest,
	openid4vci.CodeInvalidNotification:      http.StatusBadRequest,
	openid4vci.CodeOfferNotFound:            http.StatusNotFound,
}

func (a *api) auth(c *gin.Context) {
	cl, err := a.eng(c).Authenticate(httpx.BearerToken(c))
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="idport-issuer"`)
		statuses.Write(c, err)
		return
	}
	c.Set(clientKey, cl)
	c.Next()
}

func client(c *gin.Context) *issuer.Client {
	v, _ := c.Get(clientKey)
	cl, _ := v.(*issuer.Client)
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
	if err := httpx.DecodeJSONStrict(c, &req); err != nil {
		statuses.Write(c, err)
		return
	}
	r := issuer.Request{Type: req.Type, Subject: req.CredentialSubject, Credential: req.Credential,
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
	out, err := a.eng(c).Issue(c.Request.Context(), r)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	a.countIssued(c, out)
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
	setRegistryWarning(c, out.Warnings)
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

func (e StatusUpdateEntry) action() (issuer.Action, error) {
	var on bool
	switch s := strings.Trim(strings.TrimSpace(string(e.Status)), `"`); s {
	case "true", "1", "revoked", "suspended":
		on = true
	case "false", "0", "valid":
	default:
		return "", errs.Errorf(issuer.CodeInvalidRequest, "invalid request: status %s (want true or false)", e.Status)
	}
	switch {
	case e.StatusPurpose == "revocation" && on:
		return issuer.ActionRevoke, nil
	case e.StatusPurpose == "revocation":
		return "", errs.Errorf(issuer.CodeStatusConflict, "status conflict: revocation is final and cannot be undone")
	case e.StatusPurpose == "suspension" && on:
		return issuer.ActionSuspend, nil
	case e.StatusPurpose == "suspension":
		return issuer.ActionReinstate, nil
	}
	return "", errs.Errorf(issuer.CodeInvalidRequest, "invalid request: statusPurpose %q (want revocation or suspension)", e.StatusPurpose)
}

func (a *api) changeStatus(c *gin.Context) {
	var req StatusRequest
	if err := httpx.DecodeJSONStrict(c, &req); err != nil {
		statuses.Write(c, err)
		return
	}
	action := issuer.Action(req.Action)
	switch {
	case req.Action != "" && len(req.CredentialStatus) > 0:
		statuses.Write(c, errs.Errorf(issuer.CodeInvalidRequest, "invalid request: give action or credentialStatus, not both"))
		return
	case len(req.CredentialStatus) > 1:
		statuses.Write(c, errs.Errorf(issuer.CodeInvalidRequest, "invalid request: one credentialStatus update per request"))
		return
	case len(req.CredentialStatus) == 1:
		var err error
		if action, err = req.CredentialStatus[0].action(); err != nil {
			statuses.Write(c, err)
			return
		}
	}
	res, err := a.eng(c).ChangeStatus(c.Request.Context(), client(c), req.CredentialID, action)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	if res.Changed {
		a.countStatus(c, res)
	}
	c.JSON(http.StatusOK, res)
}

func (a *api) didDocument(c *gin.Context) {
	a.document(c, "application/did+json", a.eng(c).DIDDocument)
}

func (a *api) jwks(c *gin.Context) { a.document(c, "application/jwk-set+json", a.eng(c).JWKS) }

func (a *api) issuerMetadata(c *gin.Context) {
	a.document(c, "application/json", a.eng(c).IssuerMetadata)
}

func (a *api) document(c *gin.Context, ct string, get func() ([]byte, error)) {
	b, err := get()
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, ct, b)
}

// bitstring serves a Bitstring Status List credential under content negotiation: VC-JOSE-COSE
// (application/vc+jwt, the default, also for */* and ties) or, when the client prefers
// application/vc+ld+json or application/ld+json, the JSON-LD credential with a Data Integrity
// proof (eddsa-rdfc-2022; an issuer with a P-256 key serves the JWT).
func (a *api) bitstring(c *gin.Context) {
	c.Header("Vary", "Accept")
	ct, sec := "application/vc+jwt", issuer.ListJOSE
	if prefersLD(c.GetHeader("Accept")) && a.eng(c).CanSecureListsWith(issuer.ListDataIntegrity) {
		ct, sec = "application/vc+ld+json", issuer.ListDataIntegrity
	}
	a.list(c, ct, func() (issuer.PublishedList, error) {
		return a.eng(c).BitstringListAs(c.Request.Context(), c.Param("list"), sec)
	})
}

// prefersLD reports whether an Accept header ranks a JSON-LD credential
// (application/vc+ld+json or application/ld+json) strictly above application/vc+jwt.
func prefersLD(accept string) bool {
	if accept == "" {
		return false
	}
	jwt, ld := -1.0, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch mt {
		case "application/vc+jwt", "application/jwt":
			jwt = max(jwt, q)
		case "application/vc+ld+json", "application/ld+json":
			ld = max(ld, q)
		case "*/*", "application/*":
			jwt = max(jwt, min(q, 0.001)) // a wildcard ranks below any explicit type
		}
	}
	return ld > 0 && ld > jwt
}

func (a *api) tokenList(c *gin.Context) {
	a.list(c, "application/statuslist+jwt", func() (issuer.PublishedList, error) {
		return a.eng(c).TokenList(c.Request.Context(), c.Param("list"))
	})
}

func (a *api) list(c *gin.Context, ct string, get func() (issuer.PublishedList, error)) {
	l, err := get()
	if err != nil {
		statuses.Write(c, err)
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
	b, err := a.eng(c).TypeMetadata(c.Param("name"))
	if err != nil {
		// The path names a resource that does not exist: 404 here, where issuing an unknown
		// type is a bad request (400), under the same code.
		statuses.Write(c, httpx.NewError(http.StatusNotFound, string(issuer.Code(err)), err))
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", b)
}

func (a *api) types(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, gin.H{"issuer": a.eng(c).DID(), "types": a.eng(c).Types()})
}
