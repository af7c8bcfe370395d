package vcjwt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// issuerDID is a did:web issuer used across the tests.
const issuerDID = "did:web:acra.example.sg"

func mustKey(t testing.TB, alg keys.Alg) *keys.Key {
	t.Helper()
	k, err := keys.Generate(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sampleCredential returns a VC 2.0 (version 2) or 1.1 (version 1) business
// registration credential of typical size.
func sampleCredential(t testing.TB, version int) *vc.Credential {
	t.Helper()
	from := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	until := from.Add(365 * 24 * time.Hour)
	ctx := vc.ContextV2
	if version == 1 {
		ctx = vc.ContextV1
	}
	return &vc.Credential{
		Context:    []any{ctx, "https://idport.example/contexts/business/v1"},
		ID:         "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
		Type:       []string{vc.TypeCredential, "BusinessRegistration"},
		Issuer:     vc.Issuer{ID: issuerDID},
		ValidFrom:  &from,
		ValidUntil: &until,
		Subject: []map[string]any{{
			"id":               "did:web:acme.example.sg",
			"uen":              "201912345K",
			"legalName":        "ACME Trading Pte. Ltd.",
			"entityType":       "Private Company Limited by Shares",
			"registrationDate": "2019-04-01",
			"address":          map[string]any{"street": "1 Raffles Place", "postalCode": "048616", "country": "SG"},
		}},
		Status: []map[string]any{{
			"id": "https://issuer.example/status/3#94567", "type": "BitstringStatusListEntry",
			"statusPurpose": "revocation", "statusListIndex": "94567",
			"statusListCredential": "https://issuer.example/status/3",
		}},
	}
}

// sdParams returns SD-JWT VC parameters with n (<= 9) disclosable claims.
func sdParams(n int, holder *keys.Key) SDJWTParams {
	claims := map[string]any{
		"given_name": "Wing", "family_name": "Chan", "birthdate": "1990-01-01",
		"nationality": "HK", "document_number": "A1234567", "email": "wing@example.hk",
		"phone_number": "+852 5555 0000", "resident": true,
		"address": map[string]any{"street_address": "1 Queen's Road", "locality": "Hong Kong", "country": "HK"},
	}
	all := []string{"given_name", "family_name", "birthdate", "nationality", "document_number", "email", "phone_number", "resident", "address.locality"}
	p := SDJWTParams{
		Issuer: "did:web:iamsmart.example.hk", VCT: "https://credentials.example.hk/identity",
		Claims: claims, Disclose: all[:n], Expiry: time.Now().Add(time.Hour),
		Status: &TokenStatusRef{Idx: 42, URI: "https://issuer.example/statuslists/1"},
	}
	if holder != nil {
		p.HolderKey = holder.Public
	}
	return p
}

// forge builds a compact JWS from a header and payload (JSON), signed with k
// when k is not nil, else with a fixed fake signature.
func forge(t testing.TB, header, payload string, k *keys.Key) string {
	t.Helper()
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	sig := make([]byte, 64)
	if k != nil {
		var err error
		if sig, err = k.Sign([]byte(in)); err != nil {
			t.Fatal(err)
		}
	}
	return in + "." + enc.EncodeToString(sig)
}

// payloadOf decodes the payload of a compact JWS into a map.
func payloadOf(t testing.TB, compact string) map[string]any {
	t.Helper()
	parts := strings.Split(compact, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fixedNow is a fixed instant for tests that need one.
var fixedNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// rejection is a token that ParseCredential or Verify must refuse with want.
type rejection struct {
	name, token string
	want        error
}

// expectRejected checks each case against the issuer key k.
func expectRejected(t *testing.T, k *keys.Key, cases []rejection) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseCredential(tc.token)
			if err == nil {
				_, err = p.Verify(k.Public)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
