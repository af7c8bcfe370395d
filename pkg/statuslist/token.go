package statuslist

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcjwt"
)

// TokenClaims are the claims of a Status List Token (statuslist+jwt).
type TokenClaims struct {
	// Issuer is iss (optional in the draft; idport always writes it).
	Issuer string
	// Subject is sub: the URI the token is published at.
	Subject string
	// IssuedAt is iat (default now when signing).
	IssuedAt time.Time
	// Expiry is exp (zero: none).
	Expiry time.Time
	// TTL is ttl: how long verifiers may cache the token (zero: none).
	TTL time.Duration
	// List is status_list.
	List *TokenList
}

type tokenWire struct {
	Iss        string          `json:"iss,omitempty"`
	Sub        string          `json:"sub"`
	Iat        int64           `json:"iat"`
	Exp        int64           `json:"exp,omitempty"`
	TTL        int64           `json:"ttl,omitempty"`
	StatusList *statusListWire `json:"status_list"`
}

type statusListWire struct {
	Bits int    `json:"bits"`
	Lst  string `json:"lst"`
}

// SignTokenList signs list as a Status List Token for uri, issued now,
// expiring after 24 h or ttl if longer, with ttl as the caching hint.
func SignTokenList(k *keys.Key, issuer, uri string, list *TokenList, ttl time.Duration) (string, error) {
	now := time.Now()
	return SignTokenClaims(k, TokenClaims{
		Issuer: issuer, Subject: uri, IssuedAt: now,
		Expiry: now.Add(max(defaultTokenValidity, ttl)), TTL: ttl, List: list,
	})
}

// SignTokenClaims signs c as a compact JWS with typ statuslist+jwt.
func SignTokenClaims(k *keys.Key, c TokenClaims) (string, error) {
	if c.List == nil || c.Subject == "" {
		return "", fmt.Errorf("statuslist: a status list token needs a list and a sub")
	}
	lst, err := c.List.Encode()
	if err != nil {
		return "", err
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = time.Now()
	}
	w := tokenWire{
		Iss: c.Issuer, Sub: c.Subject, Iat: c.IssuedAt.Unix(),
		TTL:        int64(c.TTL / time.Second),
		StatusList: &statusListWire{Bits: c.List.Bits(), Lst: lst},
	}
	if !c.Expiry.IsZero() {
		w.Exp = c.Expiry.Unix()
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return "", fmt.Errorf("statuslist: marshal token claims: %w", err)
	}
	return signCompact(k, typStatusListJWT, "", vcjwt.KeyID(c.Issuer, k), payload)
}

// ParseTokenClaims decodes the payload of a Status List Token whose
// signature the caller has checked. sub, iat and status_list are required.
func ParseTokenClaims(payload []byte) (*TokenClaims, error) {
	var w struct {
		Iss        string          `json:"iss"`
		Sub        string          `json:"sub"`
		Iat        *float64        `json:"iat"`
		Exp        *float64        `json:"exp"`
		TTL        *float64        `json:"ttl"`
		StatusList *statusListWire `json:"status_list"`
	}
	if err := json.Unmarshal(payload, &w); err != nil {
		return nil, invalidf("status list token claims: %v", err)
	}
	if w.Sub == "" || w.Iat == nil || w.StatusList == nil {
		return nil, invalidf("status list token lacks sub, iat or status_list")
	}
	c := &TokenClaims{Issuer: w.Iss, Subject: w.Sub}
	var err error
	if c.IssuedAt, err = numericDate(*w.Iat); err != nil {
		return nil, invalidf("iat: %v", err)
	}
	if w.Exp != nil {
		if c.Expiry, err = numericDate(*w.Exp); err != nil {
			return nil, invalidf("exp: %v", err)
		}
	}
	if w.TTL != nil {
		if *w.TTL < 0 || *w.TTL > 365*24*3600 {
			return nil, invalidf("ttl %v out of range", *w.TTL)
		}
		c.TTL = time.Duration(*w.TTL) * time.Second
	}
	if c.List, err = DecodeTokenList(w.StatusList.Bits, w.StatusList.Lst); err != nil {
		return nil, err
	}
	return c, nil
}

// numericDate converts a JWT NumericDate, refusing absurd values.
func numericDate(v float64) (time.Time, error) {
	if v < 0 || v > 1<<40 {
		return time.Time{}, fmt.Errorf("%v is not a plausible NumericDate", v)
	}
	return time.Unix(int64(v), 0).UTC(), nil
}
