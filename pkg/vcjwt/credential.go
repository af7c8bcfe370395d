package vcjwt

import (
	"crypto"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// StatusRef is a status entry of a credential: a W3C credentialStatus entry
// (Bitstring Status List) or the IETF Token Status List reference of an
// SD-JWT VC (Type TypeTokenStatusList).
type StatusRef struct {
	// Type is the entry type, e.g. "BitstringStatusListEntry", or TypeTokenStatusList.
	Type string
	// ID is the entry id, if any.
	ID string
	// Purpose is statusPurpose ("revocation", "suspension", ...); empty for token status lists.
	Purpose string
	// URI is the status list: statusListCredential, or status_list.uri.
	URI string
	// Index is statusListIndex or status_list.idx; -1 when absent.
	Index int
	// raw is the JSON text of the whole credentialStatus entry, as the
	// payload holds it (already checked to be a valid object); empty for a
	// token status list reference.
	raw string
}

// Raw decodes the whole credentialStatus entry, members the typed fields
// leave out included, as encoding/json would into a map[string]any. It is nil
// for a token status list reference (Index and URI are all it has). Each call
// decodes anew: the verify path reads only the typed fields and never pays
// for the map.
func (r StatusRef) Raw() map[string]any {
	if r.raw == "" {
		return nil
	}
	s := scanner{b: r.raw}
	m, err := s.objectValue()
	if err != nil {
		// Unreachable: raw was read as a valid object with the same scanner.
		return nil
	}
	return m
}

// TypeTokenStatusList marks a StatusRef taken from an SD-JWT status claim.
const TypeTokenStatusList = "TokenStatusList"

// Verified is what a credential says once its signature has been checked.
type Verified struct {
	// Format is the format the credential came in.
	Format vc.Format
	// Alg is the signature algorithm.
	Alg keys.Alg
	// Issuer is the issuer URL (iss, or the credential's issuer).
	Issuer string
	// Kid is the key id as the verifier should resolve it (see Parsed.KeyID).
	Kid string
	// ID is the credential id or jti.
	ID string
	// Subject is the subject id (credentialSubject.id or sub).
	Subject string
	// IssuedAt is iat (zero when absent).
	IssuedAt time.Time
	// NotBefore is the start of validity: the later of nbf and validFrom (issuanceDate in 1.1).
	NotBefore time.Time
	// Expiry is the end of validity: the earlier of exp and validUntil (expirationDate in 1.1).
	Expiry time.Time
	// Types lists the credential types; for SD-JWT VC it holds the vct.
	Types []string
	// VCT is the SD-JWT VC type (vct).
	VCT string
	// Claims are the subject claims without id; for SD-JWT VC the payload
	// claims after disclosure, without the registered JWT and SD-JWT claims.
	Claims map[string]any
	// Status lists the status entries.
	Status []StatusRef
	// HolderKey is the cnf.jwk holder key, if any.
	HolderKey crypto.PublicKey
	// Disclosed lists the paths of the disclosed SD-JWT claims as dotted
	// names for display ("a", "address.street", "nationalities[]"). A
	// dotted name does not tell a claim named "a.b" from member b of a,
	// nor which array element was disclosed: compare DisclosedPaths.
	Disclosed []string
	// DisclosedPaths lists the same disclosures as structured paths, in
	// the same order: names, and array indexes into Claims.
	DisclosedPaths []ClaimPath
	// Payload is the JWS payload as signed.
	Payload []byte
}

// CheckTime reports ErrExpired or ErrNotYetValid for the validity period at
// now, tolerating skew on both ends.
func (v *Verified) CheckTime(now time.Time, skew time.Duration) error {
	if !v.Expiry.IsZero() && now.After(v.Expiry.Add(skew)) {
		return fmt.Errorf("%w: since %s", ErrExpired, v.Expiry.Format(time.RFC3339))
	}
	if !v.NotBefore.IsZero() && now.Add(skew).Before(v.NotBefore) {
		return fmt.Errorf("%w: from %s", ErrNotYetValid, v.NotBefore.Format(time.RFC3339))
	}
	if !v.IssuedAt.IsZero() && now.Add(skew).Before(v.IssuedAt) {
		return fmt.Errorf("%w: issued in the future at %s", ErrNotYetValid, v.IssuedAt.Format(time.RFC3339))
	}
	return nil
}

// Credential decodes the full credential (VC formats only) through pkg/vc,
// with its data model validation. It is not on the lean path.
func (v *Verified) Credential() (*vc.Credential, error) {
	switch v.Format {
	case vc.FormatVCJOSE:
		return vc.ParseCredential(v.Payload)
	case vc.FormatVCJWT11:
		var p struct {
			VC vc.Credential `json:"vc"`
		}
		if err := json.Unmarshal(v.Payload, &p); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		// VC-JWT 1.1 (section 6.3.1): JWT claims stand in for missing members.
		c := &p.VC
		if c.Issuer.ID == "" {
			c.Issuer.ID = v.Issuer
		}
		if c.ID == "" {
			c.ID = v.ID
		}
		if c.ValidFrom == nil && !v.NotBefore.IsZero() {
			t := v.NotBefore
			c.ValidFrom = &t
		}
		if c.ValidUntil == nil && !v.Expiry.IsZero() {
			t := v.Expiry
			c.ValidUntil = &t
		}
		if len(c.Subject) > 0 && v.Subject != "" && c.Subject[0]["id"] == nil {
			c.Subject[0]["id"] = v.Subject
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, fmt.Errorf("%w: %s has no W3C credential", ErrUnsupportedFormat, v.Format)
}

// Parsed is a credential whose format is known and whose claims are decoded,
// but whose signature is not yet checked. Resolve the key from Issuer() and
// KeyID(), then call Verify.
type Parsed struct {
	// Format is the detected format.
	Format vc.Format
	// Token is the issuer-signed JWS.
	Token *Token
	// SD is the SD-JWT (disclosures and key-binding JWT) for FormatSDJWT.
	SD *SDJWT
	v  Verified
}

// Issuer returns the issuer the credential claims.
func (p *Parsed) Issuer() string { return p.v.Issuer }

// Types returns the credential types the payload claims (for SD-JWT VC,
// the vct), before the signature is checked: for decisions that need no
// trust in them, such as refusing an unknown issuer before fetching its key.
func (p *Parsed) Types() []string { return p.v.Types }

// KeyID returns the kid to resolve: a DID URL when the issuer is a DID (a
// relative "#frag" kid is joined to the issuer), a JWKS kid otherwise, or ""
// when the token names no key.
func (p *Parsed) KeyID() string { return p.v.Kid }

// Verify checks the issuer signature with pub and returns the claims.
// It does not check the validity period (see Verified.CheckTime), status,
// trust, or key binding (see SDJWT.VerifyKeyBinding).
func (p *Parsed) Verify(pub crypto.PublicKey) (*Verified, error) {
	if err := p.Token.Verify(pub); err != nil {
		return nil, err
	}
	v := p.v
	return &v, nil
}

// Unverified returns what the credential says, decoded but with its
// signature NOT checked: for callers that verified the same bytes already
// (for example to read the claims of an SD-JWT VC after package verifier
// accepted it).
func (p *Parsed) Unverified() *Verified {
	v := p.v
	return &v
}

// ParseCredential detects the format of raw (a compact JWS, an SD-JWT, or an
// EnvelopedVerifiableCredential JSON object) and decodes its claims on the
// lean path, without checking the signature.
func ParseCredential(raw string) (*Parsed, error) {
	if len(raw) > MaxTokenBytes+4096 {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(raw))
	}
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "{") {
		env, err := vc.ParseEnveloped([]byte(raw))
		if err != nil {
			return nil, fmt.Errorf("%w: JSON that is not an enveloped credential: %w", ErrUnsupportedFormat, err)
		}
		if env.Presentation {
			return nil, fmt.Errorf("%w: an enveloped presentation where a credential is expected", ErrUnsupportedFormat)
		}
		raw = env.Data
	}
	if strings.IndexByte(raw, '~') >= 0 {
		return parseSDJWTCredential(raw)
	}
	tok, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	switch tok.Typ {
	case TypVCJOSE, typLegacyVC:
		return parseVCJOSE(tok)
	case TypJWT, "":
		return parseVC11(tok)
	case TypSDJWT, typLegacySD:
		return nil, fmt.Errorf("%w: SD-JWT without the trailing '~'", ErrMalformed)
	}
	return nil, fmt.Errorf("%w: typ %q", ErrUnsupportedFormat, tok.Typ)
}

func parseVCJOSE(tok *Token) (*Parsed, error) {
	if tok.Cty != "" && tok.Cty != ctyVC && tok.Cty != "vc+ld+json" {
		return nil, fmt.Errorf("%w: cty %q", ErrUnsupportedFormat, tok.Cty)
	}
	var (
		c  credWire
		jc jwtClaims
	)
	// The payload is the credential; JWT claims may stand beside its members.
	s := scanner{b: string(tok.Payload)}
	err := s.object(func(name string) error {
		if ok, err := c.member(&s, name); ok || err != nil {
			return err
		}
		if ok, err := jc.member(&s, name); ok || err != nil {
			return err
		}
		if name == "proof" {
			return fmt.Errorf("%w: a vc+jwt payload must not carry an embedded proof", ErrMalformed)
		}
		return s.skip()
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, fmt.Errorf("VC-JOSE payload: %w", err)
	}
	if err := c.check(2); err != nil {
		return nil, err
	}
	return newParsed(vc.FormatVCJOSE, tok, &c, &jc)
}

func parseVC11(tok *Token) (*Parsed, error) {
	var (
		c          credWire
		jc         jwtClaims
		hasVC      bool
		topVersion int // @context beside the claims: a VC-JOSE payload
	)
	s := scanner{b: string(tok.Payload)}
	err := s.object(func(name string) error {
		if name == "@context" {
			var err error
			topVersion, err = readContext(&s)
			return err
		}
		if name == "vc" {
			hasVC = true
			return s.object(func(name string) error {
				if ok, err := c.member(&s, name); ok || err != nil {
					return err
				}
				return s.skip()
			})
		}
		if ok, err := jc.member(&s, name); ok || err != nil {
			return err
		}
		return s.skip()
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, fmt.Errorf("VC-JWT payload: %w", err)
	}
	if !hasVC {
		if tok.Typ == "" && topVersion == 2 {
			// VC-JOSE-COSE only says typ SHOULD be vc+jwt: a typ-less
			// token whose payload is a VC 2.0 credential is one.
			return parseVCJOSE(tok)
		}
		return nil, fmt.Errorf("%w: a JWT without a vc claim", ErrUnsupportedFormat)
	}
	// VC-JWT 1.1 lets iss, sub, jti, nbf, exp stand in for credential members.
	if c.Issuer == "" {
		c.Issuer = jc.Iss
	}
	if err := c.check(0); err != nil {
		return nil, err
	}
	return newParsed(vc.FormatVCJWT11, tok, &c, &jc)
}

// newParsed combines credential members and JWT claims.
func newParsed(f vc.Format, tok *Token, c *credWire, jc *jwtClaims) (*Parsed, error) {
	p := &Parsed{Format: f, Token: tok}
	v := &p.v
	v.Format, v.Alg, v.Payload, v.Issuer = f, tok.Alg, tok.Payload, jc.Iss
	if err := c.fill(v); err != nil {
		return nil, err
	}
	if v.Subject == "" {
		v.Subject = jc.Sub
	} else if jc.Sub != "" && jc.Sub != v.Subject {
		return nil, fmt.Errorf("%w: sub %q and credentialSubject.id %q differ", ErrMalformed, jc.Sub, v.Subject)
	}
	if v.ID == "" {
		v.ID = jc.Jti
	}
	applyJWTTimes(v, jc)
	kid, err := resolveKid(v.Issuer, tok.Kid)
	if err != nil {
		return nil, err
	}
	v.Kid = kid
	return p, nil
}

// applyJWTTimes narrows the validity period by nbf and exp and sets iat.
func applyJWTTimes(v *Verified, jc *jwtClaims) {
	v.IssuedAt = jc.Iat.time()
	if nbf := jc.Nbf.time(); !nbf.IsZero() && (v.NotBefore.IsZero() || nbf.After(v.NotBefore)) {
		v.NotBefore = nbf
	}
	if exp := jc.Exp.time(); !exp.IsZero() && (v.Expiry.IsZero() || exp.Before(v.Expiry)) {
		v.Expiry = exp
	}
}

// resolveKid makes a kid absolute and refuses a DID URL kid of another DID
// than the issuer, so that a token cannot borrow someone else's key.
func resolveKid(issuer, kid string) (string, error) {
	switch {
	case kid == "":
		return "", nil
	case strings.HasPrefix(kid, "#"):
		if !strings.HasPrefix(issuer, "did:") {
			return "", fmt.Errorf("%w: relative kid %q for a non-DID issuer", ErrKeyMismatch, kid)
		}
		return issuer + kid, nil
	case strings.HasPrefix(kid, "did:"):
		did, _, _ := strings.Cut(kid, "#")
		if did != issuer {
			return "", fmt.Errorf("%w: kid %q is not a key of issuer %q", ErrKeyMismatch, kid, issuer)
		}
	}
	return kid, nil
}

// SignVC11 signs a VC Data Model 1.1 credential as a VC-JWT: typ JWT, the
// credential in the vc claim, and iss, sub, nbf (issuanceDate), exp
// (expirationDate), jti (id) and iat (now) as JWT claims.
func SignVC11(k *keys.Key, c *vc.Credential) (string, error) {
	if c.Version() != 1 {
		return "", fmt.Errorf("%w: SignVC11 needs a VC 1.1 credential", ErrUnsupportedFormat)
	}
	if err := c.Validate(); err != nil {
		return "", fmt.Errorf("vcjwt: sign VC 1.1: %w", err)
	}
	claims := map[string]any{"vc": c.WithoutProof(), "iss": c.Issuer.ID, "iat": time.Now().Unix()}
	if s := c.SubjectID(); s != "" {
		claims["sub"] = s
	}
	if c.ID != "" {
		claims["jti"] = c.ID
	}
	if c.ValidFrom != nil {
		claims["nbf"] = c.ValidFrom.Unix()
	}
	if c.ValidUntil != nil {
		claims["exp"] = c.ValidUntil.Unix()
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("vcjwt: encode VC-JWT claims: %w", err)
	}
	return signJWS(k, TypJWT, "", KeyID(c.Issuer.ID, k), payload)
}

// SignVCJOSE signs a VC Data Model 2.0 credential as VC-JOSE-COSE: typ
// vc+jwt, cty vc, the credential (without proof) as the payload.
func SignVCJOSE(k *keys.Key, c *vc.Credential) (string, error) {
	if c.Version() != 2 {
		return "", fmt.Errorf("%w: SignVCJOSE needs a VC 2.0 credential", ErrUnsupportedFormat)
	}
	if err := c.Validate(); err != nil {
		return "", fmt.Errorf("vcjwt: sign VC-JOSE: %w", err)
	}
	payload, err := c.WithoutProof().MarshalJSON() // direct: json.Marshal would re-scan the output
	if err != nil {
		return "", fmt.Errorf("vcjwt: encode credential: %w", err)
	}
	return signJWS(k, TypVCJOSE, ctyVC, KeyID(c.Issuer.ID, k), payload)
}
