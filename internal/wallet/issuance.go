package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// GrantPreAuthorizedCode is the OAuth grant type of the pre-authorized code flow.
const GrantPreAuthorizedCode = "urn:ietf:params:oauth:grant-type:pre-authorized_code"

// Offer is a credential offer as the wallet reads it.
type Offer struct {
	// Issuer is the credential issuer identifier (its base URL).
	Issuer string `json:"credential_issuer"`
	// ConfigurationIDs are the offered credential configurations.
	ConfigurationIDs []string `json:"credential_configuration_ids"`
	Grants           struct {
		PreAuthorized *struct {
			Code   string `json:"pre-authorized_code"`
			TxCode *struct {
				Length      int    `json:"length"`
				InputMode   string `json:"input_mode"`
				Description string `json:"description"`
			} `json:"tx_code"`
		} `json:"urn:ietf:params:oauth:grant-type:pre-authorized_code"`
	} `json:"grants"`
}

// issuerMetadata is the part of the credential issuer metadata the wallet reads.
type issuerMetadata struct {
	CredentialIssuer        string   `json:"credential_issuer"`
	AuthorizationServers    []string `json:"authorization_servers"`
	CredentialEndpoint      string   `json:"credential_endpoint"`
	NonceEndpoint           string   `json:"nonce_endpoint"`
	NotificationEndpoint    string   `json:"notification_endpoint"`
	ConfigurationsSupported map[string]struct {
		Format string `json:"format"`
	} `json:"credential_configurations_supported"`
}

// ResolveOffer reads an openid-credential-offer:// link (the offer by reference or by value).
func (w *Wallet) ResolveOffer(ctx context.Context, link string) (*Offer, error) {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "openid-credential-offer" {
		return nil, fmt.Errorf("%w: %q is not a credential offer link", ErrRefused, link)
	}
	q := u.Query()
	var offer Offer
	switch {
	case q.Get("credential_offer_uri") != "":
		err = w.call(ctx, "GET", q.Get("credential_offer_uri"), "", "", nil, &offer)
	case q.Get("credential_offer") != "":
		err = json.Unmarshal([]byte(q.Get("credential_offer")), &offer)
	default:
		err = fmt.Errorf("%w: the link carries no offer", ErrRefused)
	}
	if err != nil {
		return nil, fmt.Errorf("wallet: credential offer: %w", err)
	}
	if offer.Grants.PreAuthorized == nil || len(offer.ConfigurationIDs) == 0 {
		return nil, fmt.Errorf("%w: the offer has no pre-authorized code grant or no configuration", ErrRefused)
	}
	return &offer, nil
}

// Receive runs the pre-authorized code flow for every configuration of offer: metadata, token
// (with txCode when the offer asks for one), a c_nonce, a jwt proof of the wallet's key, the
// credential, and a credential_accepted notification. It keeps and returns the credentials.
func (w *Wallet) Receive(ctx context.Context, offer *Offer, txCode string) ([]Credential, error) {
	base := strings.TrimRight(offer.Issuer, "/")
	var md issuerMetadata
	if err := w.call(ctx, "GET", base+"/.well-known/openid-credential-issuer", "", "", nil, &md); err != nil {
		return nil, err
	}
	if md.CredentialIssuer != offer.Issuer {
		return nil, fmt.Errorf("%w: metadata of %q served for %q", ErrRefused, md.CredentialIssuer, offer.Issuer)
	}
	as := base
	if len(md.AuthorizationServers) > 0 {
		as = strings.TrimRight(md.AuthorizationServers[0], "/")
	}
	var asMD struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := w.call(ctx, "GET", as+"/.well-known/oauth-authorization-server", "", "", nil, &asMD); err != nil {
		return nil, err
	}
	form := url.Values{"grant_type": {GrantPreAuthorizedCode}, "pre-authorized_code": {offer.Grants.PreAuthorized.Code}}
	if offer.Grants.PreAuthorized.TxCode != nil {
		form.Set("tx_code", txCode)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := w.postForm(ctx, asMD.TokenEndpoint, form, &tok); err != nil {
		return nil, err
	}
	var got []Credential
	for _, id := range offer.ConfigurationIDs {
		conf, ok := md.ConfigurationsSupported[id]
		if !ok {
			return nil, fmt.Errorf("%w: configuration %q is not in the issuer's metadata", ErrRefused, id)
		}
		c, err := w.credential(ctx, &md, tok.AccessToken, id, conf.Format)
		if err != nil {
			return nil, err
		}
		got = append(got, c)
	}
	w.Credentials = append(w.Credentials, got...)
	return got, nil
}

// credential fetches a c_nonce, proves the key and asks for one credential of configuration id.
func (w *Wallet) credential(ctx context.Context, md *issuerMetadata, token, id, format string) (Credential, error) {
	var n struct {
		CNonce string `json:"c_nonce"`
	}
	if err := w.call(ctx, "POST", md.NonceEndpoint, "", "", nil, &n); err != nil {
		return Credential{}, err
	}
	var jwk any
	if err := json.Unmarshal(w.jwk, &jwk); err != nil {
		return Credential{}, fmt.Errorf("wallet: key: %w", err)
	}
	proof, err := w.signJWT(map[string]any{"typ": "openid4vci-proof+jwt", "jwk": jwk},
		map[string]any{"aud": md.CredentialIssuer, "iat": time.Now().Unix(), "nonce": n.CNonce})
	if err != nil {
		return Credential{}, err
	}
	var resp struct {
		Credentials []struct {
			Credential json.RawMessage `json:"credential"`
		} `json:"credentials"`
		NotificationID string `json:"notification_id"`
	}
	body := map[string]any{"credential_configuration_id": id, "proofs": map[string]any{"jwt": []string{proof}}}
	if err := w.postJSON(ctx, md.CredentialEndpoint, token, body, &resp); err != nil {
		return Credential{}, err
	}
	if len(resp.Credentials) != 1 {
		return Credential{}, fmt.Errorf("%w: %d credentials for one proof", ErrRefused, len(resp.Credentials))
	}
	if resp.NotificationID != "" && md.NotificationEndpoint != "" {
		if err := w.postJSON(ctx, md.NotificationEndpoint, token,
			map[string]any{"notification_id": resp.NotificationID, "event": "credential_accepted"}, nil); err != nil {
			return Credential{}, err
		}
	}
	return Credential{ConfigurationID: id, Format: format, Raw: resp.Credentials[0].Credential}, nil
}
