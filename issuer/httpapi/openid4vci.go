package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
)

// vciAPI serves OpenID4VCI: metadata, the business back end's offer API, and the wallet's
// token, nonce, credential and notification endpoints. Wallet-facing endpoints answer errors
// with the OAuth error body (statuses.WriteOAuth); the offer API with problem+json.
type vciAPI struct {
	*api
	vci *openid4vci.Service
}

// routesOpenID4VCI registers every OpenID4VCI route.
func (a *api) routesOpenID4VCI(e *gin.Engine, vci *openid4vci.Service) {
	v := &vciAPI{api: a, vci: vci}
	e.GET(openid4vci.PathIssuerMetadata, v.issuerMetadata)
	e.GET(openid4vci.PathASMetadata, v.asMetadata)
	e.POST(openid4vci.PathOffers, a.auth, v.createOffer)
	e.GET(openid4vci.PathOffers+"/:id", v.offer)
	e.GET(openid4vci.PathOffers+"/:id/qr.png", v.qrPNG)
	e.GET(openid4vci.PathOffers+"/:id/qr.svg", v.qrSVG)
	e.POST(openid4vci.PathToken, v.token)
	e.POST(openid4vci.PathNonce, v.nonce)
	e.POST(openid4vci.PathCredential, v.credential)
	e.POST(openid4vci.PathNotification, v.notification)
}

func (v *vciAPI) issuerMetadata(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, v.vci.CredentialIssuerMetadata())
}

func (v *vciAPI) asMetadata(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, v.vci.AuthorizationServerMetadata())
}

// OfferRequest is the body of POST /oid4vci/offers.
type OfferRequest struct {
	// Type is the credential type.
	Type string `json:"type"`
	// CredentialSubject holds the subject claims.
	CredentialSubject map[string]any `json:"credentialSubject"`
	// Formats restricts the offered formats (dc+sd-jwt, jwt_vc_json, ldp_vc); empty: all.
	Formats []string `json:"formats,omitempty"`
	// TxCode asks for a numeric transaction code.
	TxCode *struct {
		Length      int    `json:"length"`
		Description string `json:"description,omitempty"`
	} `json:"txCode,omitempty"`
}

// OfferResponse is the answer to POST /oid4vci/offers.
type OfferResponse struct {
	ID                 string    `json:"id"`
	CredentialOffer    any       `json:"credential_offer"`
	CredentialOfferURI string    `json:"credential_offer_uri"`
	DeepLink           string    `json:"deepLink"`
	DeepLinkByValue    string    `json:"deepLinkByValue"`
	QRPNG              string    `json:"qrPng"`
	QRSVG              string    `json:"qrSvg"`
	TxCode             string    `json:"txCode,omitempty"`
	Configurations     []string  `json:"credentialConfigurationIds"`
	ExpiresAt          time.Time `json:"expiresAt"`
}

func (v *vciAPI) createOffer(c *gin.Context) {
	var req OfferRequest
	if err := httpx.DecodeJSONStrict(c, &req); err != nil {
		statuses.Write(c, err)
		return
	}
	r := openid4vci.OfferRequest{Type: req.Type, Subject: req.CredentialSubject, Formats: req.Formats, Client: client(c)}
	if req.TxCode != nil {
		r.TxCodeLength, r.TxCodeDescription = req.TxCode.Length, req.TxCode.Description
		if r.TxCodeLength == 0 {
			r.TxCodeLength = 6
		}
	}
	o, err := v.vci.CreateOffer(c.Request.Context(), r)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, OfferResponse{ID: o.ID, CredentialOffer: o.Object, CredentialOfferURI: o.URI,
		DeepLink: o.DeepLink(), DeepLinkByValue: o.DeepLinkByValue(), QRPNG: o.URI + "/qr.png", QRSVG: o.URI + "/qr.svg",
		TxCode: o.TxCode, Configurations: o.Configurations, ExpiresAt: o.Expires})
}

func (v *vciAPI) offer(c *gin.Context) {
	obj, err := v.vci.OfferObject(c.Request.Context(), c.Param("id"))
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/json", obj)
}

// deepLink returns the by-reference deep link of a live offer.
func (v *vciAPI) deepLink(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if _, err := v.vci.OfferObject(c.Request.Context(), id); err != nil {
		statuses.Write(c, err)
		return "", false
	}
	o := openid4vci.Offer{URI: v.vci.OfferURI(id)}
	return o.DeepLink(), true
}

func (v *vciAPI) qrPNG(c *gin.Context) {
	link, ok := v.deepLink(c)
	if !ok {
		return
	}
	b, err := openid4vci.QRPNG(link, 320)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/png", b)
}

func (v *vciAPI) qrSVG(c *gin.Context) {
	link, ok := v.deepLink(c)
	if !ok {
		return
	}
	b, err := openid4vci.QRSVG(link)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/svg+xml", b)
}

func (v *vciAPI) token(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		statuses.WriteOAuth(c, errInvalidRequest("the token request is not a form"))
		return
	}
	f := c.Request.PostForm
	res, err := v.vci.Token(c.Request.Context(), openid4vci.TokenRequest{GrantType: f.Get("grant_type"),
		PreAuthorizedCode: f.Get("pre-authorized_code"), TxCode: f.Get("tx_code")})
	if err != nil {
		statuses.WriteOAuth(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
}

func (v *vciAPI) nonce(c *gin.Context) {
	res, err := v.vci.Nonce(c.Request.Context())
	if err != nil {
		statuses.WriteOAuth(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
}

func (v *vciAPI) credential(c *gin.Context) {
	var req openid4vci.CredentialRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		statuses.WriteOAuth(c, err)
		return
	}
	res, err := v.vci.Credential(c.Request.Context(), httpx.BearerToken(c), req)
	if err != nil {
		statuses.WriteOAuth(c, err)
		return
	}
	v.issued.WithLabelValues(typeLabel(v.is, res.Type), string(res.Format)).Add(float64(len(res.IDs)))
	setRegistryWarning(c, res.Warnings)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
}

func (v *vciAPI) notification(c *gin.Context) {
	var req openid4vci.NotificationRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		statuses.WriteOAuth(c, err)
		return
	}
	if err := v.vci.Notify(c.Request.Context(), httpx.BearerToken(c), req); err != nil {
		statuses.WriteOAuth(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func errInvalidRequest(msg string) error {
	return errs.Errorf(issuer.CodeInvalidRequest, "invalid request: %s", msg)
}
