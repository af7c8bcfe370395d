package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/verifier"
)

// verifyDocument serves POST /documents/verify, {"document": <OpenAttestation v2 object>,
// "options": {...}} read under the rules of the credential endpoints (see readVerifyRequest):
// 200 with the result when verified, 400 with the same body when not, 422 not_a_credential when
// the request carries no document object.
func (h *handlers) verifyDocument(c *gin.Context) {
	raw, opts, err := readVerifyRequest(c, "document")
	if err != nil {
		statuses.Write(c, err)
		return
	}
	if raw[0] != '{' {
		statuses.Write(c, errs.Errorf(CodeNotACredential, "document must be an object"))
		return
	}
	p, err := h.policy(c, opts)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	res, err := h.v.VerifyDocumentWith(c.Request.Context(), raw, verifier.DocumentOptions{Policy: p})
	h.answer(c, "document", res, err)
}
