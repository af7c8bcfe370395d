package openid4vci

import (
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// Formats are the credential formats offered over OpenID4VCI, in this order: SD-JWT VC,
// VC-JWT 1.1 (jwt_vc_json) and Data Integrity (ldp_vc, only while the issuer signs with
// Ed25519: eddsa-rdfc-2022 needs it).
var Formats = []vc.Format{vc.FormatSDJWT, vc.FormatVCJWT11, vc.FormatDI}

// ProofAlgs are the algorithms accepted for key proofs.
var ProofAlgs = []keys.Alg{keys.EdDSA, keys.ES256}

// ProofTyp is the JOSE typ of a key proof.
const ProofTyp = "openid4vci-proof+jwt"

// configSuffix names the credential configuration of a type in a format: <type>_<suffix>.
var configSuffix = map[vc.Format]string{vc.FormatSDJWT: "sd_jwt", vc.FormatVCJWT11: "jwt_vc_json", vc.FormatDI: "ldp_vc"}

// ConfigurationID returns the credential configuration id of a type in a format.
func ConfigurationID(typ string, f vc.Format) string { return typ + "_" + configSuffix[f] }

// configuration is one offered credential configuration.
type configuration struct {
	id     string
	typ    *issuer.CredentialType
	format vc.Format
}

// configurations lists the credential configurations the issuer offers now, by id.
func (s *Service) configurations() (map[string]configuration, []string) {
	ed := s.signingAlg() == keys.EdDSA
	out := map[string]configuration{}
	var order []string
	for _, t := range s.is.Types() {
		for _, f := range Formats {
			if f == vc.FormatDI && !ed {
				continue
			}
			id := ConfigurationID(t.Name, f)
			out[id] = configuration{id: id, typ: &t, format: f}
			order = append(order, id)
		}
	}
	return out, order
}

// signingAlg is the algorithm of the issuer's current key.
func (s *Service) signingAlg() keys.Alg {
	for _, k := range s.is.Keys() {
		if k.Current {
			return keys.Alg(k.Alg)
		}
	}
	return keys.EdDSA
}

// display renders display entries, falling back to the name (and description) alone.
func display(ds []issuer.Display, name, description string) []map[string]any {
	if len(ds) == 0 {
		m := map[string]any{"name": name}
		if description != "" {
			m["description"] = description
		}
		return []map[string]any{m}
	}
	out := make([]map[string]any, 0, len(ds))
	for _, d := range ds {
		m := map[string]any{"name": d.Name}
		if d.Locale != "" {
			m["locale"] = d.Locale
		}
		if d.Description != "" {
			m["description"] = d.Description
		}
		out = append(out, m)
	}
	return out
}

// CredentialIssuerMetadata returns the Credential Issuer Metadata (OpenID4VCI 1.0 section 12.2),
// served at PathIssuerMetadata.
func (s *Service) CredentialIssuerMetadata() map[string]any {
	base := s.IssuerID()
	confs, order := s.configurations()
	supported := make(map[string]any, len(confs))
	alg := string(s.signingAlg())
	proofTypes := map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": ProofAlgs}}
	for _, id := range order {
		c := confs[id]
		t := c.typ
		var claims []map[string]any
		for _, cl := range t.Claims {
			path := []string{cl.Name}
			if c.format != vc.FormatSDJWT {
				path = []string{"credentialSubject", cl.Name}
			}
			m := map[string]any{"path": path, "display": display(cl.Display, cl.Name, "")}
			if cl.Required {
				m["mandatory"] = true
			}
			claims = append(claims, m)
		}
		entry := map[string]any{
			"format": string(c.format),
			"scope":  id,
			"cryptographic_binding_methods_supported": []string{"jwk", "did:key", "did:jwk"},
			"credential_signing_alg_values_supported": []string{alg},
			"proof_types_supported":                   proofTypes,
			"credential_metadata": map[string]any{"display": display(t.Display, t.Name, t.Description),
				"claims": claims},
		}
		types := []string{vc.TypeCredential, t.Name}
		switch c.format {
		case vc.FormatSDJWT:
			entry["vct"] = s.vct(t)
		case vc.FormatVCJWT11:
			entry["credential_definition"] = map[string]any{"type": types}
		case vc.FormatDI:
			ctxs := append([]string{vc.ContextV2}, t.Contexts...)
			if len(t.Contexts) == 0 {
				ctxs = append(ctxs, issuer.ContextUndefinedTermsV2)
			}
			entry["credential_signing_alg_values_supported"] = []string{"eddsa-rdfc-2022"}
			entry["credential_definition"] = map[string]any{"@context": ctxs, "type": types}
		}
		supported[id] = entry
	}
	return map[string]any{
		"credential_issuer":                   base,
		"credential_endpoint":                 base + PathCredential,
		"nonce_endpoint":                      base + PathNonce,
		"notification_endpoint":               base + PathNotification,
		"batch_credential_issuance":           map[string]any{"batch_size": s.cfg.BatchSize},
		"display":                             []map[string]any{{"name": "idport issuer", "locale": "en"}, {"name": "idport 签发方", "locale": "zh"}},
		"credential_configurations_supported": supported,
	}
}

// vct is the SD-JWT VC type of t, as the engine writes it.
func (s *Service) vct(t *issuer.CredentialType) string {
	if t.VCT != "" {
		return t.VCT
	}
	return s.IssuerID() + "/types/" + t.Name
}

// AuthorizationServerMetadata returns the OAuth 2.0 Authorization Server Metadata (RFC 8414)
// of the issuer, which is its own authorization server for the pre-authorized code grant
// only: no authorization endpoint, PAR or PKCE is advertised because none is served.
func (s *Service) AuthorizationServerMetadata() map[string]any {
	base := s.IssuerID()
	return map[string]any{
		"issuer":                base,
		"token_endpoint":        base + PathToken,
		"grant_types_supported": []string{GrantPreAuthorized},
		"pre-authorized_grant_anonymous_access_supported": true,
		"token_endpoint_auth_methods_supported":           []string{"none"},
		"response_types_supported":                        []string{},
	}
}
