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
//	POST /profiles/{name}/challenges
//
// take the same bodies and give the same answers as the plain routes, under
// the profile's policy instead of the service's (request options still
// narrow it). A challenge of /profiles/{name}/challenges is bound to the
// profile: only /profiles/{name}/presentations/verify accepts it, and that
// route accepts no other of this verifier's challenges (a plain one, or
// another profile's, fails challenge_wrong_audience), so that a
// presentation made for one relying party cannot be relayed to another. The caller authenticates with its relying party's bearer key:
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

const (
	profilePolicyKey     = "idport.verifier.profile"
	challengeAudienceKey = "idport.verifier.challenge_audience"
)

func (h *handlers) routesProfiles(e *gin.Engine, set *profiles.Set) {
	h.profiles = set
	g := e.Group("/profiles/:profile", h.selectProfile)
	g.POST("/credentials/verify", h.verifyCredential)
	g.POST("/presentations/verify", h.verifyPresentation)
	g.POST("/challenges", h.challenge)
}

// selectProfile authenticates the relying party and puts its profile's
// policy on the request.
func (h *handlers) selectProfile(c *gin.Context) {
	sel, ok := authorizeProfile(c, h.profiles)
	if !ok {
		return
	}
	c.Set(profilePolicyKey, sel.Policy)
	c.Set(challengeAudienceKey, profileAudience(sel))
	c.Next()
}

// authorizeProfile authenticates the request's relying party for its
// :profile; on failure it answers (401 with WWW-Authenticate, 404, 403),
// aborts and reports false.
func authorizeProfile(c *gin.Context, set *profiles.Set) (profiles.Selection, bool) {
	sel, err := set.Authorize(c.Param("profile"), httpx.BearerToken(c))
	if err != nil {
		if errors.Is(err, profiles.ErrUnauthorized) {
			c.Header("WWW-Authenticate", `Bearer realm="idport-verifier"`)
		}
		statuses.Write(c, err)
		c.Abort()
		return sel, false
	}
	return sel, true
}

// profileAudience is the challenge audience of a profile: its relying
// party and its name.
func profileAudience(sel profiles.Selection) string {
	return "profile:" + sel.RelyingParty + "/" + sel.Profile
}

// challengeAudience is the audience of the request's challenges: its
// profile's, or none on the plain routes.
func challengeAudience(c *gin.Context) string {
	a, _ := c.Value(challengeAudienceKey).(string)
	return a
}

// basePolicy is the policy a request starts from: its profile's, or the
// service's.
func (h *handlers) basePolicy(c *gin.Context) verifier.Policy {
	if v, ok := c.Get(profilePolicyKey); ok {
		return v.(verifier.Policy)
	}
	return h.v.Policy()
}
