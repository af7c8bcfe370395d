package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/trustregistry/fedexport"
	"github.com/idport/idport/trustregistry/oidfed"
)

// ContentTypeEntityStatement is the media type of OpenID Federation entity statements.
const ContentTypeEntityStatement = "application/entity-statement+jwt"

// fedOptions returns the inputs of the federation export at the current time.
func (a *api) fedOptions() (fedexport.Options, error) {
	o := fedexport.Options{EntityID: a.o.PublicURL, Sign: a.svc.SignJWS, At: a.o.Now().UTC(), NextUpdate: a.svc.SnapshotNextUpdate()}
	if o.EntityID == "" {
		return o, fedexport.ErrUnavailable
	}
	pub, err := a.svc.PublicKeyJWK()
	if err != nil {
		return o, fmt.Errorf("registry public key: %w", err)
	}
	o.JWKS, err = json.Marshal(map[string][]json.RawMessage{"keys": {pub}})
	if err != nil {
		return o, fmt.Errorf("registry key set: %w", err)
	}
	return o, nil
}

// GET /.well-known/openid-federation: the registry's entity configuration (trust anchor).
func (a *api) federationConfiguration(c *gin.Context) {
	o, err := a.fedOptions()
	if err == nil {
		var b []byte
		if b, err = fedexport.Configuration(o); err == nil {
			c.Data(http.StatusOK, ContentTypeEntityStatement, b)
			return
		}
	}
	statuses.Write(c, fmt.Errorf("entity configuration: %w", err))
}

// GET /federation/list: the entity identifiers of the active authorities.
func (a *api) federationList(c *gin.Context) {
	o, err := a.fedOptions()
	if err == nil {
		var ids []string
		if ids, err = fedexport.List(a.svc.Index().State(), o); err == nil {
			c.JSON(http.StatusOK, ids)
			return
		}
	}
	statuses.Write(c, fmt.Errorf("federation list: %w", err))
}

// GET /federation/fetch?sub=: the subordinate statement about one active authority.
func (a *api) federationFetch(c *gin.Context) {
	sub := c.Query("sub")
	if sub == "" {
		statuses.Write(c, badParam("the sub query parameter is required"))
		return
	}
	o, err := a.fedOptions()
	if err == nil {
		var b []byte
		if b, err = fedexport.Fetch(a.svc.Index().State(), o, sub); err == nil {
			c.Data(http.StatusOK, ContentTypeEntityStatement, b)
			return
		}
	}
	statuses.Write(c, fmt.Errorf("subordinate statement: %w", err))
}

// federationRoutes registers the OpenID Federation endpoints on e.
func (a *api) federationRoutes(e *gin.Engine) {
	e.GET(oidfed.WellKnownPath, a.federationConfiguration)
	e.GET(fedexport.ListPath, a.federationList)
	e.GET(fedexport.FetchPath, a.federationFetch)
}
