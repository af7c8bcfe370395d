package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/httpx"
)

// registerRegistryCheckMetrics exposes the engine's registry check counters (VC-API and
// OpenID4VCI issuance alike): idport_issuer_registry_checks_total{outcome}.
func registerRegistryCheckMetrics(reg *prometheus.Registry, is *issuer.Issuer) {
	for _, o := range []struct {
		outcome string
		get     func(issuer.RegistryCheckStats) uint64
	}{
		{"checked", func(s issuer.RegistryCheckStats) uint64 { return s.Checked }},
		{"refused", func(s issuer.RegistryCheckStats) uint64 { return s.Refused }},
		{"warned", func(s issuer.RegistryCheckStats) uint64 { return s.Warned }},
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "idport_issuer_registry_checks_total",
			Help:        "Trust registry checks before signing: asked (checked), credentials refused (enforce) and issued with a warning (warn).",
			ConstLabels: prometheus.Labels{"outcome": o.outcome}},
			func() float64 { return float64(o.get(is.RegistryCheckStats())) }))
	}
}

// setRegistryWarning sets RegistryWarningHeader when a warn-mode registry check did not
// authorise the credential (VC-API issuance and the OpenID4VCI credential endpoint alike).
func setRegistryWarning(c *gin.Context, warnings []issuer.Warning) {
	if len(warnings) == 0 {
		return
	}
	codes := make([]string, 0, len(warnings))
	for _, w := range warnings {
		codes = append(codes, string(w.Code))
	}
	c.Header(RegistryWarningHeader, strings.Join(codes, ", "))
}

// OnboardRequest is the body of POST /onboarding: exactly one of the foreign credential as a
// verifier accepts it (a compact JWT or SD-JWT as a JSON string, or a JSON-LD credential) and
// a holder-bound presentation of it made for a challenge from POST /onboarding/challenges.
type OnboardRequest struct {
	Credential   json.RawMessage `json:"credential,omitempty"`
	Presentation json.RawMessage `json:"presentation,omitempty"`
}

func (a *api) onboard(c *gin.Context) {
	var req OnboardRequest
	if err := httpx.DecodeJSONStrict(c, &req); err != nil {
		statuses.Write(c, err)
		return
	}
	var out *issuer.Onboarding
	var err error
	switch {
	case len(req.Credential) > 0 && len(req.Presentation) > 0:
		err = errInvalidRequest("give credential or presentation, not both")
	case len(req.Presentation) > 0:
		out, err = a.is.OnboardPresentation(c.Request.Context(), req.Presentation, client(c))
	default:
		out, err = a.is.Onboard(c.Request.Context(), req.Credential, client(c))
	}
	if err != nil {
		statuses.Write(c, err)
		return
	}
	code := http.StatusCreated
	if out.Existing {
		code = http.StatusOK
	} else {
		a.issued.WithLabelValues(typeLabel(a.is, out.Type), out.Format).Inc()
	}
	c.Header(CredentialIDHeader, out.CredentialID)
	c.Header("Location", "/onboarding/"+out.ID)
	c.JSON(code, out) // 201 when new, 200 for a repeat of the same foreign credential
}

func (a *api) onboardingRecord(c *gin.Context) {
	out, err := a.is.OnboardingRecord(c.Request.Context(), c.Param("id"), client(c))
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// onboardingChallenge answers POST /onboarding/challenges: a single-use challenge (and the
// domain, this issuer's base URL) for the applicant's presentation.
func (a *api) onboardingChallenge(c *gin.Context) {
	out, err := a.is.OnboardingChallenge(c.Request.Context(), client(c))
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, out)
}
