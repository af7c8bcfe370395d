package httpapi

import (
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/profiles"
)

// Relying-party profiles:
//
//	POST /profiles/{name}/credentials/verify
//	POST /profiles/{name}/presentations/verify
//
// take the same bodies and give the same answers as the plain routes, under
// the profile's policy instead of the service's (request options still
// narrow it). The caller authenticates with its relying party's bearer key:
// missing or unknown 401 unauthorized, unknown profile 404
// profile_not_found, a profile of another relying party 403
// profile_forbidden. The plain routes keep the service's policy.
//
// OpenID4VP under a profile (openid4vp.go), with the same authentication:
//
//	POST /profiles/{name}/openid4vp/requests
//	GET  /profiles/{name}/openid4vp/requests/{id}[/qr.png|/qr.svg]
//
// creates a presentation request whose answer is verified under the
// profile's policy, owned by the relying party and profile: any other
// caller (another relying party or profile, the service's API key on the
// plain routes) reads it as an unknown transaction (404).

const profilePolicyKey = "idport.verifier.profile"

func (h *handlers) routesProfiles(e *gin.Engine, set *profiles.Set) {
	h.profiles = set
	g := e.Group("/profiles/:profile", h.selectProfile)
	g.POST("/credentials/verify", h.verifyCredential)
	g.POST("/presentations/verify", h.verifyPresentation)
}

// selectProfile authenticates the relying party and puts its profile's
// policy on the request.
func (h *handlers) selectProfile(c *gin.Context) {
	p, err := h.profiles.Select(c.Param("profile"), httpx.BearerToken(c))
	if err != nil {
		if errors.Is(err, profiles.ErrUnauthorized) {
			c.Header("WWW-Authenticate", `Bearer realm="idport-verifier"`)
		}
		statuses.Write(c, err)
		return
	}
	c.Set(profilePolicyKey, p)
	c.Next()
}

// basePolicy is the policy a request starts from: its profile's, or the
// service's.
func (h *handlers) basePolicy(c *gin.Context) verifier.Policy {
	if v, ok := c.Get(profilePolicyKey); ok {
		return v.(verifier.Policy)
	}
	return h.v.Policy()
}
