package httpapi

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/verifier"
)

// documentRequest is the body of POST /documents/verify: an
// OpenAttestation v2 document (a wrapped JSON object) and the options of
// the credential endpoints (policy narrowing only).
type documentRequest struct {
	Document json.RawMessage `json:"document"`
	Options  requestOptions  `json:"options"`
}

// verifyDocument serves POST /documents/verify: 200 with the result when
// verified, 400 with the same body when not, 422 not_a_credential when the
// request carries no document object.
func (h *handlers) verifyDocument(c *gin.Context) {
	var req documentRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		statuses.Write(c, err)
		return
	}
	raw, err := payload(req.Document, "document")
	if err != nil {
		statuses.Write(c, err)
		return
	}
	if raw[0] != '{' {
		statuses.Write(c, errs.Errorf(CodeNotACredential, "document must be an object"))
		return
	}
	p, err := h.policy(c, req.Options)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	res, err := h.v.VerifyDocumentWith(c.Request.Context(), raw, verifier.DocumentOptions{Policy: p})
	h.answer(c, "document", res, err)
}
