package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/keys"
)

// refusingRegistry answers every registry check with a refusal, as a registry that does not
// list the issuer for the type would.
type refusingRegistry struct{}

func (refusingRegistry) Authorise(context.Context, string, string, []string, time.Time) (issuer.Grant, error) {
	return issuer.Grant{Code: "type_not_authorised", Message: "not listed", RegistryVersion: 9}, nil
}

// TestOpenID4VCIRegistryWarning: in warn mode the wallet's credential response carries the
// registry warning too, as the idport_warnings member and the Idport-Registry-Warning header,
// once per code even for a batch; in enforce mode the credential endpoint refuses instead.
func TestOpenID4VCIRegistryWarning(t *testing.T) {
	s := newVCIServer(t, func(c *issuer.Config) {
		c.Authoriser, c.RegistryCheck = refusingRegistry{}, issuer.CheckWarn
	})
	tok, conf, n := redeemed(t, s)
	holder, other := newKey(t, keys.EdDSA), newKey(t, keys.ES256)
	claims := map[string]any{"aud": s.URL, "nonce": n}
	body := map[string]any{"credential_configuration_id": conf, "proofs": map[string]any{"jwt": []string{
		proof(t, holder, nil, claims), proof(t, other, nil, claims)}}}
	req, _ := http.NewRequest("POST", s.URL+openid4vci.PathCredential, strings.NewReader(js(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Credentials []json.RawMessage `json:"credentials"`
		Warnings    []issuer.Warning  `json:"idport_warnings"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(res.Credentials) != 2 {
		t.Fatalf("warn mode: %d %+v", resp.StatusCode, res)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Code != issuer.CodeIssuerNotAuthorised || !strings.Contains(res.Warnings[0].Message, "type_not_authorised") {
		t.Fatalf("idport_warnings %+v, want one issuer_not_authorised", res.Warnings)
	}
	if h := resp.Header.Get(httpapi.RegistryWarningHeader); h != string(issuer.CodeIssuerNotAuthorised) {
		t.Fatalf("%s: %q", httpapi.RegistryWarningHeader, h)
	}

	enforce := newVCIServer(t, func(c *issuer.Config) {
		c.Authoriser, c.RegistryCheck = refusingRegistry{}, issuer.CheckEnforce
	})
	tok, conf, n = redeemed(t, enforce)
	st, out := enforce.credential(t, tok.AccessToken, conf, proof(t, holder, nil, map[string]any{"aud": enforce.URL, "nonce": n}))
	if st == 200 || len(out.Credentials) != 0 {
		t.Fatalf("enforce mode issued: %d %+v", st, out)
	}
}
