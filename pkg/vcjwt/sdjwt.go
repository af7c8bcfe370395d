package vcjwt

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// SDAlg is the only SD-JWT digest algorithm used and accepted.
const SDAlg = "sha-256"

// reservedSD are payload claims that SD-JWT VC gives a fixed meaning; they
// can neither be selectively disclosed nor be set through SDJWTParams.Claims.
var reservedSD = []string{"iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "sub", "jti", "_sd", "_sd_alg", "..."}

// TokenStatusRef points at an entry of an IETF Token Status List.
type TokenStatusRef struct {
	Idx int
	URI string
}

// SDJWTParams describes an SD-JWT VC to sign.
type SDJWTParams struct {
	// Issuer is iss (a DID or an HTTPS URL with jwt-vc-issuer metadata).
	Issuer string
	// VCT is the credential type (vct).
	VCT string
	// Subject is sub, optional and always disclosed.
	Subject string
	// IssuedAt is iat; zero means now.
	IssuedAt time.Time
	// NotBefore and Expiry are nbf and exp; zero omits them.
	NotBefore, Expiry time.Time
	// Claims are the credential claims (top level of the payload).
	Claims map[string]any
	// Disclose lists the selectively disclosable claims by path: "name" for
	// a top-level claim, "address.street" for a member of an object claim.
	// Listing both "address" and "address.street" nests the disclosures.
	Disclose []string
	// Decoys is the number of decoy digests added to the top-level _sd.
	Decoys int
	// HolderKey is put into cnf.jwk for holder binding; nil for none.
	HolderKey crypto.PublicKey
	// Status is the Token Status List entry; nil for none.
	Status *TokenStatusRef
}

// sdNode is a tree of disclosure paths.
type sdNode struct {
	self     bool
	children map[string]*sdNode
}

func buildSDTree(paths []string) (*sdNode, error) {
	root := &sdNode{}
	for _, p := range paths {
		n := root
		for _, seg := range strings.Split(p, ".") {
			if seg == "" || slices.Contains(reservedSD, seg) {
				return nil, fmt.Errorf("%w: claim path %q cannot be disclosable", ErrMalformed, p)
			}
			if n.children == nil {
				n.children = map[string]*sdNode{}
			}
			c := n.children[seg]
			if c == nil {
				c = &sdNode{}
				n.children[seg] = c
			}
			n = c
		}
		n.self = true
	}
	return root, nil
}

// sdMaker makes disclosures and digests for SignSDJWT, drawing salts from
// one crypto/rand read per batch.
type sdMaker struct {
	rnd         []byte
	disclosures []string
}

// salt returns 16 fresh random bytes.
func (m *sdMaker) salt() ([]byte, error) {
	if len(m.rnd) < 16 {
		m.rnd = make([]byte, 16*16)
		if _, err := rand.Read(m.rnd); err != nil {
			return nil, fmt.Errorf("vcjwt: salt: %w", err)
		}
	}
	s := m.rnd[:16]
	m.rnd = m.rnd[16:]
	return s, nil
}

// disclose encodes the disclosure [salt, name, value], keeps it and
// returns its digest.
func (m *sdMaker) disclose(name string, value any) (string, error) {
	salt, err := m.salt()
	if err != nil {
		return "", err
	}
	b := append(make([]byte, 0, 64+len(name)), `["`...)
	b = append(b64.AppendEncode(b, salt), `",`...)
	if b, err = vc.AppendJSON(b, name); err == nil {
		b, err = vc.AppendJSON(append(b, ','), value)
	}
	if err != nil {
		return "", fmt.Errorf("vcjwt: encode disclosure %q: %w", name, err)
	}
	d := b64.EncodeToString(append(b, ']'))
	m.disclosures = append(m.disclosures, d)
	return sdDigest(d), nil
}

// decoy returns a decoy digest: the digest of random bytes.
func (m *sdMaker) decoy() (string, error) {
	salt, err := m.salt()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(salt)
	return b64.EncodeToString(sum[:]), nil
}

// sdDigest is base64url(SHA-256(ASCII(s))).
func sdDigest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return b64.EncodeToString(sum[:])
}

// applySD replaces the claims of obj named in node with digests, innermost
// first, keeping the disclosures. It returns a new map.
func (m *sdMaker) applySD(obj map[string]any, node *sdNode, path string, decoys int) (map[string]any, error) {
	res := maps.Clone(obj)
	var digests []string
	names := slices.Sorted(maps.Keys(node.children))
	for _, name := range names {
		child := node.children[name]
		val, ok := res[name]
		if !ok {
			return nil, fmt.Errorf("%w: disclosable claim %q is not in the credential", ErrMalformed, path+name)
		}
		if len(child.children) > 0 {
			inner, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: claim %q has members to disclose but is not an object", ErrMalformed, path+name)
			}
			if val, err := m.applySD(inner, child, path+name+".", 0); err != nil {
				return nil, err
			} else {
				res[name] = val
			}
		}
		if child.self {
			dig, err := m.disclose(name, res[name])
			if err != nil {
				return nil, err
			}
			digests = append(digests, dig)
			delete(res, name)
		}
	}
	for range decoys {
		dig, err := m.decoy()
		if err != nil {
			return nil, err
		}
		digests = append(digests, dig)
	}
	if len(digests) > 0 {
		sort.Strings(digests) // hide the original claim order
		res["_sd"] = digests
	}
	return res, nil
}

// SignSDJWT signs an SD-JWT VC (typ dc+sd-jwt) and returns it in the
// issuance form "<jwt>~<disclosure>~...~".
func SignSDJWT(k *keys.Key, p SDJWTParams) (string, error) {
	if p.Issuer == "" || p.VCT == "" {
		return "", fmt.Errorf("%w: SD-JWT VC needs iss and vct", ErrMalformed)
	}
	for _, r := range reservedSD {
		if _, ok := p.Claims[r]; ok {
			return "", fmt.Errorf("%w: claim %q is reserved in SD-JWT VC", ErrMalformed, r)
		}
	}
	tree, err := buildSDTree(p.Disclose)
	if err != nil {
		return "", err
	}
	var m sdMaker
	payload, err := m.applySD(p.Claims, tree, "", p.Decoys)
	if err != nil {
		return "", err
	}
	disclosures := m.disclosures
	if payload == nil {
		payload = map[string]any{}
	}
	iat := p.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	payload["iss"], payload["vct"], payload["iat"] = p.Issuer, p.VCT, iat.Unix()
	if len(disclosures) > 0 || p.Decoys > 0 {
		payload["_sd_alg"] = SDAlg
	}
	if p.Subject != "" {
		payload["sub"] = p.Subject
	}
	if !p.NotBefore.IsZero() {
		payload["nbf"] = p.NotBefore.Unix()
	}
	if !p.Expiry.IsZero() {
		payload["exp"] = p.Expiry.Unix()
	}
	if p.HolderKey != nil {
		j, err := keys.MinimalJWK(p.HolderKey)
		if err != nil {
			return "", fmt.Errorf("vcjwt: holder key: %w", err)
		}
		payload["cnf"] = map[string]any{"jwk": json.RawMessage(j)}
	}
	if p.Status != nil {
		payload["status"] = map[string]any{"status_list": map[string]any{"idx": p.Status.Idx, "uri": p.Status.URI}}
	}
	body, err := vc.AppendJSON(make([]byte, 0, 1024), payload)
	if err != nil {
		return "", fmt.Errorf("vcjwt: encode SD-JWT payload: %w", err)
	}
	jwt, err := signJWS(k, TypSDJWT, "", KeyID(p.Issuer, k), body)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString(jwt)
	sb.WriteByte('~')
	for _, d := range disclosures {
		sb.WriteString(d)
		sb.WriteByte('~')
	}
	return sb.String(), nil
}

// Disclosure is one decoded SD-JWT disclosure.
type Disclosure struct {
	// Raw is the disclosure as it appears in the SD-JWT.
	Raw string
	// Digest is its base64url SHA-256 digest.
	Digest string
	// Name is the claim name; "" for an array element disclosure.
	Name string
	// Value is the disclosed value.
	Value any
	// Path is where the disclosure was found in the payload, as a dotted
	// name for display and for Present ("a.b", "list[]"). It is ambiguous
	// (a claim named "a.b", which array element): compare ClaimPath.
	Path string
	// ClaimPath is what the disclosure revealed, component by component:
	// object members by name, array elements by their index in the array
	// after disclosure processing (as in Verified.Claims).
	ClaimPath ClaimPath
}

// ClaimPath locates a claim in a JSON value: each component is a string
// (an object member) or an int (an array index). It has the shape of a
// DCQL claims path without the null wildcard.
type ClaimPath []any

// String renders the path for messages: names joined by dots, indexes in
// brackets ("address.street", "nationalities[1]"); a name that is empty
// or holds '.', '[', ']' or '"' is quoted in brackets (`a["b.c"]`), so
// that distinct paths render distinctly.
func (p ClaimPath) String() string {
	var b strings.Builder
	for i, e := range p {
		switch v := e.(type) {
		case string:
			if v == "" || strings.ContainsAny(v, `.[]"`) {
				b.WriteByte('[')
				b.WriteString(strconv.Quote(v))
				b.WriteByte(']')
				continue
			}
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		default:
			fmt.Fprintf(&b, "[%v]", v)
		}
	}
	return b.String()
}

// child returns p extended by e, never sharing p's backing array.
func (p ClaimPath) child(e any) ClaimPath {
	return append(p[:len(p):len(p)], e)
}

// SDJWT is a parsed SD-JWT: the issuer-signed JWT, its disclosures and an
// optional key-binding JWT.
type SDJWT struct {
	// IssuerJWT is the compact issuer-signed JWT.
	IssuerJWT string
	// Disclosures in presentation order.
	Disclosures []Disclosure
	// KBJWT is the key-binding JWT, "" when none was presented.
	KBJWT string
	// hashInput is everything before the key-binding JWT, for sd_hash.
	hashInput string
	byDigest  map[string]*Disclosure
}

// ParseSDJWT splits an SD-JWT (with or without a key-binding JWT) and
// decodes its disclosures. It bounds the size and disclosure count and
// refuses empty or repeated disclosures. Digests are matched against the
// payload by ParseCredential.
func ParseSDJWT(s string) (*SDJWT, error) {
	if len(s) > MaxTokenBytes {
		return nil, fmt.Errorf("%w: SD-JWT of %d bytes, limit %d", ErrTooLarge, len(s), MaxTokenBytes)
	}
	if n := strings.Count(s, "~"); n > MaxDisclosures+1 {
		return nil, fmt.Errorf("%w: %d disclosures, limit %d", ErrTooLarge, n-1, MaxDisclosures)
	} else if n == 0 {
		return nil, fmt.Errorf("%w: an SD-JWT has at least one '~'", ErrMalformed)
	}
	last := strings.LastIndexByte(s, '~')
	sd := &SDJWT{hashInput: s[:last+1], KBJWT: s[last+1:]}
	if sd.KBJWT != "" && strings.Count(sd.KBJWT, ".") != 2 {
		return nil, fmt.Errorf("%w: an SD-JWT ends with '~' or a key-binding JWT", ErrMalformed)
	}
	jwt, rest, found := strings.Cut(s[:last], "~")
	sd.IssuerJWT = jwt
	if !found {
		return sd, nil
	}
	// One copy of the disclosures as bytes (base64 input and digest input)
	// and one buffer for all decoded JSON, instead of two allocations each.
	n := strings.Count(rest, "~") + 1
	src := []byte(rest)
	dec := make([]byte, b64.DecodedLen(len(rest)))
	type span struct{ raw0, raw1, dec0, dec1 int }
	spans := make([]span, 0, n)
	off := 0
	for pos := 0; pos <= len(rest); {
		end := strings.IndexByte(rest[pos:], '~')
		if end < 0 {
			end = len(rest)
		} else {
			end += pos
		}
		if end == pos {
			return nil, fmt.Errorf("disclosure %d: %w: empty disclosure", len(spans), ErrDisclosure)
		}
		m, err := b64.Decode(dec[off:], src[pos:end])
		if err != nil {
			return nil, fmt.Errorf("disclosure %d: %w: base64url: %w", len(spans), ErrDisclosure, err)
		}
		spans = append(spans, span{pos, end, off, off + m})
		off += m
		pos = end + 1
	}
	decoded := string(dec[:off])
	sd.Disclosures = make([]Disclosure, len(spans))
	sd.byDigest = make(map[string]*Disclosure, len(spans))
	for i, sp := range spans {
		d := &sd.Disclosures[i]
		if err := decodeDisclosure(decoded[sp.dec0:sp.dec1], d); err != nil {
			return nil, fmt.Errorf("disclosure %d: %w", i, err)
		}
		sum := sha256.Sum256(src[sp.raw0:sp.raw1])
		d.Raw, d.Digest = rest[sp.raw0:sp.raw1], b64.EncodeToString(sum[:])
		if _, dup := sd.byDigest[d.Digest]; dup {
			return nil, fmt.Errorf("%w: disclosure %d is repeated", ErrDisclosure, i)
		}
		sd.byDigest[d.Digest] = d
	}
	return sd, nil
}

var errDisclosureShape = fmt.Errorf("%w: want [salt, name, value] or [salt, value]", ErrDisclosure)

// decodeDisclosure reads the JSON of a disclosure, [salt, name, value] or
// [salt, value], into d.
func decodeDisclosure(js string, d *Disclosure) error {
	s := scanner{b: js}
	if s.peek() != '[' {
		return fmt.Errorf("%w: not a JSON array", ErrDisclosure)
	}
	s.i++
	if _, err := s.rawString(); err != nil {
		return fmt.Errorf("%w: salt: %w", ErrDisclosure, err)
	}
	if s.peek() != ',' {
		return errDisclosureShape
	}
	s.i++
	var err error
	if s.peek() == '"' {
		var str string
		if str, err = s.rawString(); err != nil {
			return fmt.Errorf("%w: %w", ErrDisclosure, err)
		}
		if s.peek() == ',' {
			s.i++
			if str == "" || str == "_sd" || str == "..." {
				return fmt.Errorf("%w: claim name %q not allowed", ErrDisclosure, str)
			}
			d.Name = str
			d.Value, err = s.value()
		} else {
			d.Value = str
		}
	} else {
		d.Value, err = s.value()
		if err == nil && s.peek() == ',' {
			return fmt.Errorf("%w: claim name is not a string", ErrDisclosure)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: value: %w", ErrDisclosure, err)
	}
	if s.peek() != ']' {
		return errDisclosureShape
	}
	s.i++
	if err := s.end(); err != nil {
		return fmt.Errorf("%w: %w", ErrDisclosure, err)
	}
	return nil
}

// sdState matches digests in a payload with disclosures.
type sdState struct {
	byDigest map[string]*Disclosure
	seen     map[string]struct{}
	used     int
}

// reference records digest as seen once and returns its disclosure, if any.
func (s *sdState) reference(dig string) (*Disclosure, error) {
	if _, dup := s.seen[dig]; dup {
		return nil, fmt.Errorf("%w: digest %s appears twice", ErrDisclosure, dig)
	}
	s.seen[dig] = struct{}{}
	d := s.byDigest[dig]
	if d != nil {
		s.used++
	}
	return d, nil
}

// disclose puts the claim behind digest dig, if disclosed, into obj (at
// path, cp).
func (s *sdState) disclose(obj map[string]any, dig, path string, cp ClaimPath) error {
	d, err := s.reference(dig)
	if err != nil || d == nil {
		return err // nil, nil: a decoy, or a claim not disclosed
	}
	if d.Name == "" {
		return fmt.Errorf("%w: array element disclosure referenced from an object", ErrDisclosure)
	}
	if _, exists := obj[d.Name]; exists {
		return fmt.Errorf("%w: claim %q is both plain and disclosed", ErrDisclosure, path+d.Name)
	}
	obj[d.Name] = d.Value
	d.Path, d.ClaimPath = path+d.Name, cp.child(d.Name)
	return nil
}

// object replaces the _sd digests of obj with the disclosed claims and
// walks into its object and array members.
func (s *sdState) object(obj map[string]any, path string, cp ClaimPath) error {
	if raw, ok := obj["_sd"]; ok {
		list, ok := raw.([]any)
		if !ok {
			return fmt.Errorf("%w: _sd at %q is not an array", ErrMalformed, path)
		}
		delete(obj, "_sd")
		for _, dig := range list {
			ds, ok := dig.(string)
			if !ok {
				return fmt.Errorf("%w: a digest is not a string", ErrMalformed)
			}
			if err := s.disclose(obj, ds, path, cp); err != nil {
				return err
			}
		}
	}
	return s.members(obj, path, cp)
}

// members walks into the object and array members of obj.
func (s *sdState) members(obj map[string]any, path string, cp ClaimPath) error {
	for name, v := range obj {
		switch x := v.(type) {
		case map[string]any:
			if err := s.object(x, path+name+".", cp.child(name)); err != nil {
				return err
			}
		case []any:
			list, err := s.array(x, path+name+"[]", cp.child(name))
			if err != nil {
				return err
			}
			obj[name] = list
		}
	}
	return nil
}

// array replaces {"...": digest} elements by the disclosed values, drops
// undisclosed ones, and walks into the rest. An element's ClaimPath index
// is its index in the returned array.
func (s *sdState) array(x []any, path string, cp ClaimPath) ([]any, error) {
	out := x[:0]
	for _, el := range x {
		i := len(out) // the element's index once disclosures are applied
		if m, ok := el.(map[string]any); ok && len(m) == 1 {
			if dig, ok := m["..."]; ok {
				ds, ok := dig.(string)
				if !ok {
					return nil, fmt.Errorf("%w: a digest is not a string", ErrMalformed)
				}
				d, err := s.reference(ds)
				if err != nil {
					return nil, err
				}
				if d == nil {
					continue // undisclosed element: drop it
				}
				if d.Name != "" {
					return nil, fmt.Errorf("%w: object property disclosure referenced from an array", ErrDisclosure)
				}
				d.Path, d.ClaimPath = path, cp.child(i)
				el = d.Value
			}
		}
		switch y := el.(type) {
		case map[string]any:
			if err := s.object(y, path+".", cp.child(i)); err != nil {
				return nil, err
			}
		case []any:
			list, err := s.array(y, path+"[]", cp.child(i))
			if err != nil {
				return nil, err
			}
			el = list
		}
		out = append(out, el)
	}
	return out, nil
}

// resolve applies the disclosures to payload, whose top-level digests are
// topSD, and checks that each disclosure is referenced exactly once.
func (sd *SDJWT) resolve(payload map[string]any, topSD []string) error {
	st := sdState{byDigest: sd.byDigest, seen: make(map[string]struct{}, len(topSD)+len(sd.Disclosures))}
	for _, dig := range topSD {
		if err := st.disclose(payload, dig, "", nil); err != nil {
			return err
		}
	}
	if err := st.object(payload, "", nil); err != nil {
		return err
	}
	if st.used != len(sd.Disclosures) {
		for _, d := range sd.Disclosures {
			if d.Path == "" {
				return fmt.Errorf("%w: disclosure of %q is not referenced by the credential", ErrDisclosure, d.Name)
			}
		}
	}
	return nil
}

// sdRegistered holds the registered claims of an SD-JWT VC payload.
type sdRegistered struct {
	jwtClaims
	vct, sdAlg string
	cnfJWK     string // raw JSON of cnf.jwk
	status     *StatusRef
	topSD      []string // the top-level _sd digests
}

// readSDPayload reads an SD-JWT VC payload: registered claims into reg, all
// other members (including _sd) into the returned claims.
func readSDPayload(b []byte, reg *sdRegistered) (map[string]any, error) {
	claims := make(map[string]any, 16)
	s := scanner{b: string(b)}
	err := s.object(func(name string) error {
		if ok, err := reg.member(&s, name); ok || err != nil {
			return err
		}
		var err error
		switch name {
		case "vct":
			reg.vct, err = s.str()
		case "_sd_alg":
			reg.sdAlg, err = s.str()
		case "_sd":
			if s.peek() != '[' {
				return fmt.Errorf("%w: _sd is not an array", ErrMalformed)
			}
			reg.topSD, err = s.strings()
		case "cnf":
			err = s.object(func(name string) error {
				if name != "jwk" {
					return s.skip()
				}
				s.ws()
				start := s.i
				err := s.skip()
				reg.cnfJWK = s.b[start:s.i]
				return err
			})
		case "status":
			err = s.object(func(name string) error {
				if name != "status_list" {
					return s.skip()
				}
				reg.status, err = readStatusListRef(&s)
				return err
			})
		default:
			var v any
			v, err = s.value()
			claims[name] = v
		}
		return err
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, fmt.Errorf("SD-JWT payload: %w", err)
	}
	return claims, nil
}

// readStatusListRef reads status.status_list {"idx": n, "uri": "..."}.
func readStatusListRef(s *scanner) (*StatusRef, error) {
	r := &StatusRef{Type: TypeTokenStatusList, Index: -1}
	err := s.object(func(name string) error {
		var err error
		switch name {
		case "idx":
			var f float64
			if f, err = s.number(); err == nil {
				if f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
					return fmt.Errorf("%w: status_list.idx %v", ErrMalformed, f)
				}
				r.Index = int(f)
			}
		case "uri":
			r.URI, err = s.str()
		default:
			err = s.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.Index < 0 || r.URI == "" {
		return nil, fmt.Errorf("%w: status.status_list needs idx >= 0 and uri", ErrMalformed)
	}
	return r, nil
}

// parseSDJWTCredential reads an SD-JWT VC: issuer JWT, disclosures matched
// against the payload, registered claims, and the optional key-binding JWT
// (verified later with SDJWT.VerifyKeyBinding).
func parseSDJWTCredential(raw string) (*Parsed, error) {
	sd, err := ParseSDJWT(raw)
	if err != nil {
		return nil, err
	}
	tok, err := Parse(sd.IssuerJWT)
	if err != nil {
		return nil, err
	}
	if tok.Typ != TypSDJWT && tok.Typ != typLegacySD {
		return nil, fmt.Errorf("%w: SD-JWT VC with typ %q", ErrUnsupportedFormat, tok.Typ)
	}
	var reg sdRegistered
	claims, err := readSDPayload(tok.Payload, &reg)
	if err != nil {
		return nil, err
	}
	if reg.Iss == "" || reg.vct == "" {
		return nil, fmt.Errorf("%w: SD-JWT VC needs iss and vct", ErrMalformed)
	}
	if reg.sdAlg != "" && reg.sdAlg != SDAlg {
		return nil, fmt.Errorf("%w: _sd_alg %q (only %s)", ErrDisclosure, reg.sdAlg, SDAlg)
	}
	if err := sd.resolve(claims, reg.topSD); err != nil {
		return nil, err
	}
	p := &Parsed{Format: vc.FormatSDJWT, Token: tok, SD: sd}
	v := &p.v
	v.Format, v.Alg, v.Payload = vc.FormatSDJWT, tok.Alg, tok.Payload
	v.Issuer, v.Subject, v.ID, v.VCT, v.Types = reg.Iss, reg.Sub, reg.Jti, reg.vct, []string{reg.vct}
	applyJWTTimes(v, &reg.jwtClaims)
	if reg.cnfJWK != "" {
		if v.HolderKey, _, err = keys.ParsePublicJWK([]byte(reg.cnfJWK)); err != nil {
			return nil, fmt.Errorf("%w: cnf.jwk: %w", ErrMalformed, err)
		}
	}
	if reg.status != nil {
		v.Status = []StatusRef{*reg.status}
	}
	for _, r := range reservedSD {
		delete(claims, r)
	}
	v.Claims = claims
	v.Disclosed = make([]string, 0, len(sd.Disclosures))
	v.DisclosedPaths = make([]ClaimPath, 0, len(sd.Disclosures))
	for _, d := range sd.Disclosures {
		if slices.Contains(reservedSD, d.Path) {
			return nil, fmt.Errorf("%w: registered claim %q must not be selectively disclosed", ErrDisclosure, d.Path)
		}
		v.Disclosed = append(v.Disclosed, d.Path)
		v.DisclosedPaths = append(v.DisclosedPaths, d.ClaimPath)
	}
	if v.Kid, err = resolveKid(v.Issuer, tok.Kid); err != nil {
		return nil, err
	}
	return p, nil
}
