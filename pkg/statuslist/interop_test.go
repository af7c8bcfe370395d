package statuslist

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/nodetest"
)

// interopIndexes are the entries both sides check: the ends of the list,
// both ends of the first bytes (bit order) and a few in between.
var interopIndexes = []int{0, 1, 6, 7, 8, 9, 15, 16, 1000, 4242, 65535, 65536, MinEntries - 2, MinEntries - 1}

// interopSet is the subset of interopIndexes that is set.
var interopSet = []int{0, 7, 9, 16, 4242, 65536, MinEntries - 1}

func isSet(i int) bool {
	for _, s := range interopSet {
		if s == i {
			return true
		}
	}
	return false
}

func publicJWK(t *testing.T, pub crypto.PublicKey) json.RawMessage {
	t.Helper()
	j, err := keys.PublicJWK(pub, "")
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestInteropBitstringToJS: lists and list credentials made here decode in
// @digitalbazaar/vc-bitstring-status-list with the same bits, and the
// vc+jwt signature verifies in jose.
func TestInteropBitstringToJS(t *testing.T) {
	list, _ := NewBitstring(MinEntries)
	for _, i := range interopSet {
		list.Set(i, true)
	}
	enc, err := list.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var dec struct {
		Length int    `json:"length"`
		Bits   []bool `json:"bits"`
	}
	nodetest.Run(t, "status-bitstring.mjs", map[string]any{"op": "decode", "encodedList": enc, "indexes": interopIndexes}, &dec)
	checkBits(t, "decode", dec.Length, dec.Bits)

	for _, alg := range keys.Allowed {
		iss := newIssuer(t, alg)
		jwt, err := SignBitstringCredential(iss.key, iss.did, "https://status.example/lists/1", PurposeSuspension, list, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Header     map[string]any `json:"header"`
			Credential map[string]any `json:"credential"`
			Length     int            `json:"length"`
			Bits       []bool         `json:"bits"`
		}
		nodetest.Run(t, "status-bitstring.mjs", map[string]any{
			"op": "verify", "jwt": jwt, "jwk": publicJWK(t, iss.key.Public), "indexes": interopIndexes,
		}, &got)
		if got.Header["typ"] != "vc+jwt" || got.Header["alg"] != string(alg) || got.Header["kid"] != iss.key.ID {
			t.Errorf("%s: header %v", alg, got.Header)
		}
		if got.Credential["issuer"] != iss.did {
			t.Errorf("%s: issuer %v", alg, got.Credential["issuer"])
		}
		checkBits(t, string(alg), got.Length, got.Bits)
	}
}

func checkBits(t *testing.T, what string, length int, bits []bool) {
	t.Helper()
	if length != MinEntries || len(bits) != len(interopIndexes) {
		t.Fatalf("%s: peer read %d entries, %d bits", what, length, len(bits))
	}
	for k, i := range interopIndexes {
		if bits[k] != isSet(i) {
			t.Errorf("%s: peer reads entry %d as %v", what, i, bits[k])
		}
	}
}

// TestInteropBitstringFromJS: a list credential made by
// @digitalbazaar/vc-bitstring-status-list and signed by jose is fetched,
// verified and read by the Fetcher.
func TestInteropBitstringFromJS(t *testing.T) {
	s := newListServer(t)
	const issuerDID = "did:web:peer.example"
	var made struct {
		Credential json.RawMessage `json:"credential"`
		JWT        string          `json:"jwt"`
		JWK        json.RawMessage `json:"jwk"`
	}
	nodetest.Run(t, "status-bitstring.mjs", map[string]any{
		"op": "issue", "id": s.url("/js"), "issuer": issuerDID, "length": MinEntries,
		"set": interopSet, "statusPurpose": PurposeRevocation,
	}, &made)
	lc, err := ParseBitstringCredential(made.Credential)
	if err != nil {
		t.Fatal(err)
	}
	if lc.List.Len() != MinEntries || !lc.HasPurpose(PurposeRevocation) {
		t.Fatalf("parsed %+v", lc)
	}
	pub, _, err := keys.ParsePublicJWK(made.JWK)
	if err != nil {
		t.Fatal(err)
	}
	s.put("/js", made.JWT)
	f := s.fetcher(t, FetcherOptions{Keys: func(_ context.Context, kid string) (crypto.PublicKey, error) {
		if kid != issuerDID+"#key-1" {
			return nil, errors.New("unknown kid " + kid)
		}
		return pub, nil
	}})
	for _, i := range interopIndexes {
		v, m, err := f.BitstringStatus(context.Background(), s.url("/js"), PurposeRevocation, i)
		if err != nil {
			t.Fatal(err)
		}
		if v != isSet(i) {
			t.Errorf("entry %d = %v", i, v)
		}
		if m.Issuer != issuerDID {
			t.Errorf("issuer %q", m.Issuer)
		}
	}
}

// tokenStatuses are the values set in token list interop (index -> value).
var tokenStatuses = map[int]uint8{1: Invalid, 2: Suspended, 3: 3, 8: Invalid, 1000: Suspended, MinEntries - 1: Invalid}

// TestInteropTokenToJS: a Status List Token made here verifies in jose and
// reads the same in @sd-jwt/jwt-status-list.
func TestInteropTokenToJS(t *testing.T) {
	for _, bits := range []int{1, 2, 8} {
		iss := newIssuer(t, keys.ES256)
		list, _ := NewTokenList(MinEntries, bits)
		idx := []int{0}
		for i, v := range tokenStatuses {
			if bits == 1 {
				v = v & 1
			}
			list.Set(i, v)
			idx = append(idx, i)
		}
		jwt, err := SignTokenList(iss.key, iss.did, "https://status.example/tsl/1", list, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Header   map[string]any `json:"header"`
			Payload  map[string]any `json:"payload"`
			Bits     int            `json:"bits"`
			Statuses []int          `json:"statuses"`
		}
		nodetest.Run(t, "status-token.mjs", map[string]any{
			"op": "verify", "jwt": jwt, "jwk": publicJWK(t, iss.key.Public), "indexes": idx,
		}, &got)
		if got.Bits != bits || got.Payload["sub"] != "https://status.example/tsl/1" || got.Payload["ttl"] != float64(60) {
			t.Errorf("bits %d: peer read %+v", bits, got)
		}
		for k, i := range idx {
			want, _ := list.Get(i)
			if got.Statuses[k] != int(want) {
				t.Errorf("bits %d: peer reads entry %d as %d, want %d", bits, i, got.Statuses[k], want)
			}
		}
	}
}

// TestInteropTokenFromJS: a token made by @sd-jwt/jwt-status-list and
// signed by jose is fetched, verified and read by the Fetcher.
func TestInteropTokenFromJS(t *testing.T) {
	s := newListServer(t)
	const issuerDID = "did:web:peer.example"
	set := map[string]int{}
	for i, v := range tokenStatuses {
		set[itoa(i)] = int(v)
	}
	var made struct {
		JWT string          `json:"jwt"`
		JWK json.RawMessage `json:"jwk"`
	}
	nodetest.Run(t, "status-token.mjs", map[string]any{
		"op": "issue", "iss": issuerDID, "sub": s.url("/tsl"), "ttl": 30, "bits": 2, "length": MinEntries, "set": set,
	}, &made)
	pub, _, err := keys.ParsePublicJWK(made.JWK)
	if err != nil {
		t.Fatal(err)
	}
	s.put("/tsl", made.JWT)
	f := s.fetcher(t, FetcherOptions{Keys: func(context.Context, string) (crypto.PublicKey, error) { return pub, nil }})
	for _, i := range []int{0, 1, 2, 3, 4, 8, 1000, MinEntries - 1} {
		v, m, err := f.TokenStatus(context.Background(), s.url("/tsl"), i)
		if err != nil {
			t.Fatal(err)
		}
		if v != tokenStatuses[i] {
			t.Errorf("entry %d = %d, want %d", i, v, tokenStatuses[i])
		}
		if m.Expires.Sub(m.FetchedAt) != 30*time.Second {
			t.Errorf("cache time %v, want the 30 s ttl", m.Expires.Sub(m.FetchedAt))
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
