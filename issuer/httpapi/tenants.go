package httpapi

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/errs"
)

// Tenant routes. Every tenant of the deployment has the public and client endpoints of the
// default issuer under /tenants/{name}/, served by the tenant's own engine:
//
//	POST /tenants/{name}/credentials/issue      POST /tenants/{name}/credentials/status
//	GET  /tenants/{name}/did.json               GET  /tenants/{name}/.well-known/jwks.json
//	GET  /tenants/{name}/status/bitstring/{l}   GET  /tenants/{name}/status/token/{n}
//	GET  /tenants/{name}/credential-types       GET  /tenants/{name}/types/{type}
//	GET  /.well-known/jwt-vc-issuer/tenants/{name}
//
// The tenant is named by the path, never guessed from the API key: a client's key is looked up
// among the keys of the tenant the path names only, so a key of another tenant (or of the
// default issuer) is unknown there (401), and the engine refuses a client of another tenant
// anyway (403). Backups and OpenID4VCI are the default issuer's only.

const engineKey = "idport.issuer.engine"

// eng returns the engine of the request: the tenant's under /tenants/{name}/, else the
// default issuer.
func (a *api) eng(c *gin.Context) *issuer.Issuer {
	if v, ok := c.Get(engineKey); ok {
		return v.(*issuer.Issuer)
	}
	return a.is
}

func (a *api) routesTenants(e *gin.Engine, reg *prometheus.Registry, tenants []*issuer.Issuer) {
	a.tenants = make(map[string]*issuer.Issuer, len(tenants))
	for _, t := range tenants {
		a.tenants[t.Tenant()] = t
	}
	a.tenantIssued = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "idport_issuer_tenant_credentials_issued_total",
		Help: "Credentials issued by tenants, by tenant, credential type and format."}, []string{"tenant", "type", "format"})
	a.tenantStatus = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "idport_issuer_tenant_status_changes_total",
		Help: "Credential status changes of tenants, by tenant, credential type and new state."}, []string{"tenant", "type", "state"})
	reg.MustRegister(a.tenantIssued, a.tenantStatus)
	g := e.Group("/tenants/:tenant", a.tenant)
	g.POST("/credentials/issue", a.auth, a.issue)
	g.POST("/credentials/status", a.auth, a.changeStatus)
	g.GET("/did.json", a.didDocument)
	g.GET("/.well-known/did.json", a.didDocument)
	g.GET("/.well-known/jwks.json", a.jwks)
	g.GET("/status/bitstring/:list", a.bitstring)
	g.GET("/status/token/:list", a.tokenList)
	g.GET("/credential-types", a.types)
	g.GET("/types/:name", a.typeMetadata)
	e.GET("/.well-known/jwt-vc-issuer/tenants/:tenant", a.tenant, a.issuerMetadata)
}

// tenant selects the engine of the tenant the path names (404 tenant_not_found).
func (a *api) tenant(c *gin.Context) {
	name := c.Param("tenant")
	t, ok := a.tenants[name]
	if !ok {
		statuses.Write(c, errs.Errorf(issuer.CodeTenantNotFound, "tenant not found: %q", name))
		return
	}
	c.Set(engineKey, t)
	c.Next()
}

func (a *api) countIssued(c *gin.Context, out *issuer.Issued) {
	typ := typeLabel(a.eng(c), out.Type)
	if t := a.eng(c).Tenant(); t != "" {
		a.tenantIssued.WithLabelValues(t, typ, string(out.Format)).Inc()
		return
	}
	a.issued.WithLabelValues(typ, string(out.Format)).Inc()
}

func (a *api) countStatus(c *gin.Context, res issuer.StatusResult) {
	typ := typeLabel(a.eng(c), res.Type)
	if t := a.eng(c).Tenant(); t != "" {
		a.tenantStatus.WithLabelValues(t, typ, res.State).Inc()
		return
	}
	a.status.WithLabelValues(typ, res.State).Inc()
}

// otherType is the type label of credentials whose type the issuer does not configure
// (client-supplied VC-API credentials name any type they like).
const otherType = "other"

// typeLabel is the metric label of a credential type: the type when is configures it, else
// otherType, so that clients cannot add label values without bound.
func typeLabel(is *issuer.Issuer, typ string) string {
	if is.HasType(typ) {
		return typ
	}
	return otherType
}
