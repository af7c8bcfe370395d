package vcjwt

import (
	"crypto"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/idport/idport/pkg/keys"
)

// kbPayload is the payload of a key-binding JWT.
type kbPayload struct {
	jwtClaims
	Aud    []string
	Nonce  string
	SDHash string
}

// readKBPayload reads a key-binding JWT payload.
func readKBPayload(b []byte) (*kbPayload, error) {
	var p kbPayload
	s := scanner{b: string(b)}
	err := s.object(func(name string) error {
		if ok, err := p.member(&s, name); ok || err != nil {
			return err
		}
		var err error
		switch name {
		case "aud":
			p.Aud, err = s.strings()
		case "nonce":
			p.Nonce, err = s.str()
		case "sd_hash":
			p.SDHash, err = s.str()
		default:
			err = s.skip()
		}
		return err
	})
	if err == nil {
		err = s.end()
	}
	return &p, err
}

// SignKeyBinding appends a key-binding JWT (typ kb+jwt; iat, aud, nonce,
// sd_hash) signed by the holder to an SD-JWT in presentation form
// "<jwt>~<disclosures>~", and returns the presentation.
func SignKeyBinding(holder *keys.Key, sdjwt, nonce, aud string, iat time.Time) (string, error) {
	if !strings.HasSuffix(sdjwt, "~") {
		return "", fmt.Errorf("%w: SD-JWT must end with '~' (and carry no key-binding JWT yet)", ErrMalformed)
	}
	if nonce == "" || aud == "" {
		return "", fmt.Errorf("%w: key binding needs a nonce and an audience", ErrMalformed)
	}
	body, err := json.Marshal(map[string]any{"iat": iat.Unix(), "aud": aud, "nonce": nonce, "sd_hash": sdDigest(sdjwt)})
	if err != nil {
		return "", fmt.Errorf("vcjwt: encode KB-JWT: %w", err)
	}
	kb, err := signJWS(holder, TypKB, "", "", body)
	if err != nil {
		return "", err
	}
	return sdjwt + kb, nil
}

// VerifyKeyBinding checks the key-binding JWT: present, typ kb+jwt, signed
// by holderPub (usually Verified.HolderKey), sd_hash over the presented
// SD-JWT, nonce and aud as expected, iat within skew of now.
// Signature, typ and hash failures wrap ErrHolderBinding; nonce and audience
// mismatches wrap ErrChallenge.
func (sd *SDJWT) VerifyKeyBinding(holderPub crypto.PublicKey, nonce, aud string, now time.Time, skew time.Duration) error {
	if nonce == "" || aud == "" {
		return fmt.Errorf("%w: the verifier must expect a nonce and an audience", ErrChallenge)
	}
	if sd.KBJWT == "" {
		return fmt.Errorf("%w: no key-binding JWT presented", ErrHolderBinding)
	}
	if holderPub == nil {
		return fmt.Errorf("%w: the credential has no holder key (cnf)", ErrHolderBinding)
	}
	tok, err := Parse(sd.KBJWT)
	if err != nil {
		return fmt.Errorf("%w: key-binding JWT: %w", ErrHolderBinding, err)
	}
	if tok.Typ != TypKB {
		return fmt.Errorf("%w: key-binding JWT typ %q", ErrHolderBinding, tok.Typ)
	}
	if err := tok.Verify(holderPub); err != nil {
		return fmt.Errorf("%w: key-binding JWT: %w", ErrHolderBinding, err)
	}
	p, err := readKBPayload(tok.Payload)
	if err != nil {
		return fmt.Errorf("%w: key-binding JWT payload: %w", ErrHolderBinding, err)
	}
	if p.SDHash != sdDigest(sd.hashInput) {
		return fmt.Errorf("%w: sd_hash does not match the presented SD-JWT", ErrHolderBinding)
	}
	if p.Nonce != nonce {
		return fmt.Errorf("%w: nonce", ErrChallenge)
	}
	if !contains(p.Aud, aud) {
		return fmt.Errorf("%w: audience %v, want %q", ErrChallenge, []string(p.Aud), aud)
	}
	return checkIat(p.Iat, now, skew, ErrHolderBinding)
}

// checkIat requires iat and that it lies within skew of now.
func checkIat(iat *numericDate, now time.Time, skew time.Duration, class error) error {
	if iat == nil {
		return fmt.Errorf("%w: iat missing", class)
	}
	t := iat.time()
	if t.After(now.Add(skew)) || t.Before(now.Add(-skew)) {
		return fmt.Errorf("%w: iat %s is not within %s of %s", class, t.Format(time.RFC3339), skew, now.UTC().Format(time.RFC3339))
	}
	return nil
}

// Present makes the holder's presentation of an issued SD-JWT: it keeps the
// disclosures whose paths are listed in keep (a nested path keeps the
// disclosures of its parents too), drops the rest and any key-binding JWT,
// and returns "<jwt>~<kept disclosures>~". It does not check signatures.
func Present(sdjwt string, keep []string) (string, error) {
	p, err := parseSDJWTCredential(sdjwt)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString(p.SD.IssuerJWT)
	sb.WriteByte('~')
	for _, d := range p.SD.Disclosures {
		if keepPath(d.Path, keep) {
			sb.WriteString(d.Raw)
			sb.WriteByte('~')
		}
	}
	return sb.String(), nil
}

// keepPath reports whether path is in keep or is the parent of a path in keep.
func keepPath(path string, keep []string) bool {
	for _, k := range keep {
		if k == path || strings.HasPrefix(k, path+".") || strings.HasPrefix(k, path+"[]") {
			return true
		}
	}
	return false
}
