package verifier

import (
	"context"
	"crypto"
	"errors"
)

func (v *Verifier) checkDataIntegrity(ctx context.Context, c *credential) (string, Code, error) {
	return "", CodeUnsupportedFormat, errors.New("data integrity: not wired yet")
}

func parseDIPresentation(raw []byte) (*presentation, error) {
	return nil, perr(CodeUnsupportedFormat, "data integrity presentations: not wired yet")
}

func (v *Verifier) checkDIPresentation(ctx context.Context, pr *presentation, o PresentationOptions) (crypto.PublicKey, Code, error) {
	return nil, CodeUnsupportedFormat, errors.New("not wired yet")
}
