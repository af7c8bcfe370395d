package vcjwt

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/nodetest"
	"github.com/idport/idport/pkg/vc"
)

// jsResult is one answer of jose-verify.mjs.
type jsResult struct {
	Verified bool            `json:"verified"`
	Error    string          `json:"error"`
	Payload  map[string]any  `json:"payload"`
	Claims   map[string]any  `json:"claims"`
	Header   map[string]any  `json:"header"`
	KB       map[string]any  `json:"kb"`
	Statuses []int           `json:"statuses"`
	URIs     []string        `json:"statusUris"`
	VC       json.RawMessage `json:"vc"`
}

// didDoc is a did:web document listing one key as JsonWebKey2020.
func didDoc(t *testing.T, did string, k *keys.Key) (doc map[string]any, jwk map[string]any) {
	t.Helper()
	kid := KeyID(did, k)
	b, err := keys.PublicJWK(k.Public, kid)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &jwk); err != nil {
		t.Fatal(err)
	}
	doc = map[string]any{
		"@context": []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"},
		"id":       did,
		"verificationMethod": []any{map[string]any{
			"id": kid, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk,
		}},
		"assertionMethod": []string{kid}, "authentication": []string{kid},
	}
	return doc, jwk
}

// TestInteropJSVerifiesOurs: tokens signed here verify with jose, did-jwt-vc and
// @sd-jwt/sd-jwt-vc, which read back the claims we put in.
func TestInteropJSVerifiesOurs(t *testing.T) {
	for _, alg := range keys.Allowed {
		t.Run(string(alg), func(t *testing.T) {
			iss, holder := mustKey(t, alg), mustKey(t, alg)
			const holderDID = "did:web:acme.example.sg"
			issuerDoc, issuerJWK := didDoc(t, issuerDID, iss)
			holderDoc, holderJWK := didDoc(t, holderDID, holder)

			vcjose, err := SignVCJOSE(iss, sampleCredential(t, 2))
			if err != nil {
				t.Fatal(err)
			}
			vc11, err := SignVC11(iss, sampleCredential(t, 1))
			if err != nil {
				t.Fatal(err)
			}
			p := sdParams(9, holder)
			p.Issuer = issuerDID
			p.Decoys = 2
			p.Disclose = append(p.Disclose, "address")
			sd, err := SignSDJWT(iss, p)
			if err != nil {
				t.Fatal(err)
			}
			const nonce, aud = "n-0S6_WzA2Mj", "did:web:verifier.example.cn"
			pres, err := Present(sd, []string{"given_name", "address.locality"})
			if err != nil {
				t.Fatal(err)
			}
			sdKB, err := SignKeyBinding(holder, pres, nonce, aud, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			vp11, err := SignVPJWT(holder, VPParams{Version: 1, Holder: holderDID, Credentials: []string{vc11}, Nonce: nonce, Audience: aud})
			if err != nil {
				t.Fatal(err)
			}
			vp2, err := SignVPJWT(holder, VPParams{Version: 2, Holder: holderDID, Credentials: []string{vcjose}, Nonce: nonce, Audience: aud})
			if err != nil {
				t.Fatal(err)
			}

			var out map[string]jsResult
			nodetest.Run(t, "jose-verify.mjs", map[string]any{
				"issuerJwk": issuerJWK, "issuerDoc": issuerDoc, "holderJwk": holderJWK, "holderDoc": holderDoc,
				"vcjose": []string{vcjose}, "vcjwt11": vc11, "sdjwt": sd, "sdjwtKB": sdKB,
				"nonce": nonce, "aud": aud, "vp11": vp11, "vp2": vp2,
			}, &out)
			for _, name := range []string{"vcjose0", "vcjwt11", "sdjwt", "sdjwtKB", "vp11", "vp2"} {
				if r, ok := out[name]; !ok || !r.Verified {
					t.Errorf("%s: not verified by the JS peer: %+v", name, r)
				}
			}
			if t.Failed() {
				return
			}
			subj, _ := out["vcjose0"].Payload["credentialSubject"].(map[string]any)
			if subj["uen"] != "201912345K" || out["vcjose0"].Payload["issuer"] != issuerDID {
				t.Errorf("jose read %v", out["vcjose0"].Payload)
			}
			if out["vcjwt11"].Payload["iss"] != issuerDID || out["vcjwt11"].Payload["sub"] != "did:web:acme.example.sg" {
				t.Errorf("did-jwt-vc read %v", out["vcjwt11"].Payload)
			}
			c := out["sdjwt"].Claims
			addr, _ := c["address"].(map[string]any)
			if c["given_name"] != "Wing" || c["resident"] != true || addr["locality"] != "Hong Kong" || c["_sd"] != nil {
				t.Errorf("@sd-jwt read claims %v", c)
			}
			if !slices.Equal(out["sdjwt"].URIs, []string{p.Status.URI}) || !slices.Equal(out["sdjwt"].Statuses, []int{0}) {
				t.Errorf("status list not consulted as expected: %v %v", out["sdjwt"].URIs, out["sdjwt"].Statuses)
			}
			kc := out["sdjwtKB"].Claims
			if kc["given_name"] != "Wing" || kc["family_name"] != nil || out["sdjwtKB"].KB["nonce"] != nonce {
				t.Errorf("@sd-jwt read presentation %v kb %v", kc, out["sdjwtKB"].KB)
			}
		})
	}
}

// jsIssued is what jose-issue.mjs makes.
type jsIssued struct {
	IssuerDID   string          `json:"issuerDid"`
	HolderDID   string          `json:"holderDid"`
	EdJWK       json.RawMessage `json:"edJwk"`
	P256JWK     json.RawMessage `json:"p256Jwk"`
	HolderJWK   json.RawMessage `json:"holderJwk"`
	JoseEdDSA   string          `json:"joseEdDSA"`
	JoseES256   string          `json:"joseES256"`
	DidJwtVC    string          `json:"didJwtVC"`
	DidJwtVP    string          `json:"didJwtVP"`
	SDJWT       string          `json:"sdJwt"`
	SDJWTKB     string          `json:"sdJwtKB"`
	SDJWTEdDSA  string          `json:"sdJwtEdDSA"`
	SDJWTEdKB   string          `json:"sdJwtEdDSAKB"`
	SDIssuerJWK json.RawMessage `json:"sdIssuerJwk"`
	SDHolderJWK json.RawMessage `json:"sdHolderJwk"`
}

// TestInteropWeVerifyJS: credentials and presentations made by jose, did-jwt-vc
// and @sd-jwt/sd-jwt-vc verify on our lean path, and tampering is caught.
func TestInteropWeVerifyJS(t *testing.T) {
	const nonce, aud = "n-8d2f", "https://verifier.example.cn"
	now := time.Now()
	var js jsIssued
	nodetest.Run(t, "jose-issue.mjs", map[string]any{"now": now.Unix(), "nonce": nonce, "aud": aud}, &js)

	pub := func(raw json.RawMessage) any {
		t.Helper()
		k, _, err := keys.ParsePublicJWK(raw)
		if err != nil {
			t.Fatalf("JWK %s: %v", raw, err)
		}
		return k
	}
	edPub, p256Pub, holderPub := pub(js.EdJWK), pub(js.P256JWK), pub(js.HolderJWK)

	cases := []struct {
		name   string
		token  string
		key    any
		format vc.Format
	}{
		{"jose EdDSA vc+jwt", js.JoseEdDSA, edPub, vc.FormatVCJOSE},
		{"jose ES256 vc+jwt", js.JoseES256, p256Pub, vc.FormatVCJOSE},
		{"did-jwt-vc VC-JWT 1.1", js.DidJwtVC, edPub, vc.FormatVCJWT11},
		{"sd-jwt-vc ES256", js.SDJWT, pub(js.SDIssuerJWK), vc.FormatSDJWT},
		{"sd-jwt-vc EdDSA", js.SDJWTEdDSA, edPub, vc.FormatSDJWT},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseCredential(tc.token)
			if err != nil {
				t.Fatal(err)
			}
			v, err := p.Verify(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if v.Format != tc.format || v.Issuer != js.IssuerDID {
				t.Fatalf("format %s issuer %s", v.Format, v.Issuer)
			}
			if err := v.CheckTime(now, time.Minute); err != nil {
				t.Fatal(err)
			}
			switch tc.format {
			case vc.FormatSDJWT:
				if v.Claims["given_name"] != "Mei" || v.Claims["hkid"] != "A123456(7)" || v.HolderKey == nil {
					t.Fatalf("claims %v", v.Claims)
				}
				addr, _ := v.Claims["address"].(map[string]any)
				nats, _ := v.Claims["nationalities"].([]any)
				if addr["locality"] != "Kowloon" || len(nats) != 2 {
					t.Fatalf("nested %v / array %v", addr, nats)
				}
				got := slices.Clone(v.Disclosed)
				sort.Strings(got)
				want := []string{"address.locality", "family_name", "given_name", "hkid", "nationalities[]", "nationalities[]"}
				if !slices.Equal(got, want) {
					t.Fatalf("disclosed %v", got)
				}
				if len(v.Status) != 1 || v.Status[0].Index != 7 {
					t.Fatalf("status %+v", v.Status)
				}
			default:
				if v.Claims["uen"] != "201912345K" || v.Subject != js.HolderDID {
					t.Fatalf("claims %v subject %s", v.Claims, v.Subject)
				}
				// The full data model view validates too, JWT claims standing in.
				if full, err := v.Credential(); err != nil || full.Issuer.ID != js.IssuerDID {
					t.Fatalf("full credential: %v", err)
				}
			}
			// One flipped payload character breaks the signature.
			parts := strings.SplitN(tc.token, ".", 3)
			mid := []byte(parts[1])
			mid[10] ^= 0x01
			if bad, err := ParseCredential(parts[0] + "." + string(mid) + "." + parts[2]); err == nil {
				if _, err := bad.Verify(tc.key); err == nil {
					t.Fatal("tampered token verified")
				}
			}
		})
	}

	t.Run("sd-jwt-vc key binding", func(t *testing.T) {
		for name, tok := range map[string]string{"ES256": js.SDJWTKB, "EdDSA": js.SDJWTEdKB} {
			key := pub(js.SDIssuerJWK)
			if name == "EdDSA" {
				key = edPub
			}
			p, err := ParseCredential(tok)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			v, err := p.Verify(key)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := p.SD.VerifyKeyBinding(v.HolderKey, nonce, aud, now, time.Minute); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if v.Claims["family_name"] != nil || v.Claims["given_name"] != "Mei" {
				t.Fatalf("%s: presented claims %v", name, v.Claims)
			}
			if err := p.SD.VerifyKeyBinding(v.HolderKey, "other", aud, now, time.Minute); err == nil {
				t.Fatalf("%s: wrong nonce accepted", name)
			}
		}
	})

	t.Run("did-jwt-vc JWT VP", func(t *testing.T) {
		p, err := ParseVPJWT(js.DidJwtVP)
		if err != nil {
			t.Fatal(err)
		}
		if p.Holder != js.HolderDID || len(p.Credentials) != 1 {
			t.Fatalf("%+v", p)
		}
		if err := p.Verify(holderPub, nonce, aud, now, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(holderPub, nonce, "https://other.example", now, time.Minute); err == nil {
			t.Fatal("wrong audience accepted")
		}
		c, err := ParseCredential(p.Credentials[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Verify(edPub); err != nil {
			t.Fatal(err)
		}
	})
}
