package openid4vci

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// TokenRequest is a token request (form parameters of the token endpoint).
type TokenRequest struct {
	GrantType         string
	PreAuthorizedCode string
	TxCode            string
}

// TokenResponse is a successful token response.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// Token exchanges a pre-authorized code (and its transaction code) for an access token bound
// to the offer. The code is single use: the exchange and the token are written in one store
// transaction. A wrong transaction code is refused and counted; MaxTxFailures of them lock the
// code.
func (s *Service) Token(ctx context.Context, req TokenRequest) (*TokenResponse, error) {
	if req.GrantType != GrantPreAuthorized {
		return nil, errs.Errorf(CodeUnsupportedGrantType, "unsupported grant type: %q (this issuer supports only %s)", req.GrantType, GrantPreAuthorized)
	}
	if req.PreAuthorizedCode == "" {
		return nil, errs.Errorf(CodeInvalidGrant, "invalid grant: pre-authorized_code is missing")
	}
	now := s.cfg.Clock()
	token := randomToken(32)
	var offerID string
	err := s.store.UpdateOffer(ctx, Lookup{Kind: ByCode, Value: hash(req.PreAuthorizedCode)}, Nonce{}, now,
		func(rec *OfferRecord) (bool, error) {
			offerID = rec.ID
			switch {
			case rec.Redeemed:
				return false, errs.Errorf(CodeInvalidGrant, "invalid grant: the pre-authorized code was already used")
			case !now.Before(rec.Expires):
				return false, errs.Errorf(CodeInvalidGrant, "invalid grant: the pre-authorized code expired")
			case rec.TxFailures >= MaxTxFailures:
				return false, errs.Errorf(CodeInvalidGrant, "invalid grant: the pre-authorized code is locked after %d wrong transaction codes", MaxTxFailures)
			case !s.keyActive(rec):
				return false, errs.Errorf(CodeInvalidGrant, "invalid grant: the offer was withdrawn (the API key that made it no longer works)")
			}
			if rec.TxCodeHash != "" {
				if req.TxCode == "" {
					return false, errs.Errorf(CodeInvalidGrant, "invalid grant: this offer needs a tx_code")
				}
				if subtle.ConstantTimeCompare([]byte(hash(req.TxCode)), []byte(rec.TxCodeHash)) != 1 {
					rec.TxFailures++
					return true, errs.Errorf(CodeInvalidGrant, "invalid grant: wrong tx_code (%d of %d attempts used)", rec.TxFailures, MaxTxFailures)
				}
			} else if req.TxCode != "" {
				return false, errs.Errorf(CodeInvalidGrant, "invalid grant: this offer has no tx_code")
			}
			rec.Redeemed, rec.Object = true, nil
			rec.TokenHash, rec.TokenExpires = hash(token), now.Add(s.cfg.TokenTTL)
			return true, nil
		})
	if errs.CodeOf(err) == CodeOfferNotFound {
		return nil, errs.Errorf(CodeInvalidGrant, "invalid grant: unknown pre-authorized code")
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("OpenID4VCI access token issued", "offer", offerID)
	return &TokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: int(s.cfg.TokenTTL / time.Second)}, nil
}

// NonceResponse is the nonce endpoint's answer.
type NonceResponse struct {
	CNonce string `json:"c_nonce"`
}

// Nonce makes a fresh single-use c_nonce for key proofs. It writes nothing: the c_nonce
// carries its expiry under a MAC keyed from the issuer's key secret, and only a credential
// request that consumes it records it in the store.
func (s *Service) Nonce(ctx context.Context) (*NonceResponse, error) {
	return &NonceResponse{CNonce: s.nonces.mint(s.cfg.Clock().Add(s.cfg.NonceTTL))}, nil
}

// keyActive reports whether the API key that made an offer still authenticates (an offer
// made in process names none).
func (s *Service) keyActive(rec *OfferRecord) bool {
	return rec.Key == "" || s.is.APIKeyActive(rec.Key)
}
