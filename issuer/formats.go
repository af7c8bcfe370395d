package issuer

import (
	"context"
	"encoding/json"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/pkg/vcld/ariessign"
)

// sign secures the planned credential in its format. Every format is implemented by the pkg
// that owns it: VC-JWT 1.1, VC-JOSE-COSE and SD-JWT VC by pkg/vcjwt, Data Integrity by pkg/vcld (signing through
// pkg/vcld/ariessign: aries-framework-go for Ed25519Signature2020 and did:key checks).
func (is *Issuer) sign(ctx context.Context, p *plan, out *Issued) error {
	var err error
	switch p.format {
	case vc.FormatVCJOSE:
		out.Token, err = vcjwt.SignVCJOSE(p.sk.key, p.cred)
	case vc.FormatVCJWT11:
		out.Token, err = vcjwt.SignVC11(p.sk.key, p.cred)
	case vc.FormatSDJWT:
		out.Token, err = is.signSDJWT(p)
	case vc.FormatDI:
		var doc []byte
		if doc, err = json.Marshal(p.cred); err == nil {
			out.Document, err = ariessign.SignCredential(ctx, doc, vcld.SignOptions{Signer: p.sk.key.Signer,
				VerificationMethod: p.sk.key.ID, Created: p.issuedAt})
		}
	default:
		return errs.Errorf(CodeUnsupportedFormat, "unsupported format: %q", p.format)
	}
	if err != nil {
		return errs.Errorf(CodeInvalidCredential, "invalid credential: signing %s credential: %v", p.format, err)
	}
	return nil
}
