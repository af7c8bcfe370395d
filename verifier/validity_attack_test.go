package verifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
)

// TestValidityPeriodAttacks crafts credentials signed by a recognised issuer whose validity
// members try to escape the validity check: a VC 2.0 credential may carry validUntil without
// validFrom, JWT claims may disagree with the credential's members, and dates come in odd
// spellings. Each must be judged by the strictest period it states.
func TestValidityPeriodAttacks(t *testing.T) {
	ctx := context.Background()
	ed := newIssuer(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(7, ed.authority()), nil, verifier.Policy{})
	cred := credentialJSON(ed.DID, testNow.Add(-24*time.Hour), time.Time{}, nil)
	base := func(fn func(m map[string]any)) []byte { return edit(t, cred, fn) }
	past := testNow.Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	future := testNow.Add(2 * time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name string
		cred []byte
		want verifier.Code // "" = verified
	}{
		{"validUntil without validFrom, past", base(func(m map[string]any) { delete(m, "validFrom"); m["validUntil"] = past }), verifier.CodeExpired},
		{"validUntil without validFrom, future", base(func(m map[string]any) { delete(m, "validFrom"); m["validUntil"] = future }), ""},
		{"no dates at all", base(func(m map[string]any) { delete(m, "validFrom") }), ""},
		{"exp claim earlier than validUntil", base(func(m map[string]any) {
			m["validUntil"] = testNow.Add(time.Hour * 48).UTC().Format(time.RFC3339)
			m["exp"] = testNow.Add(-time.Hour).Unix()
		}), verifier.CodeExpired},
		{"nbf claim later than validFrom", base(func(m map[string]any) { m["nbf"] = testNow.Add(time.Hour).Unix() }), verifier.CodeNotYetValid},
		{"validUntil in another time zone, past", base(func(m map[string]any) {
			m["validUntil"] = testNow.Add(-2 * time.Hour).In(time.FixedZone("", 8*3600)).Format(time.RFC3339)
		}), verifier.CodeExpired},
		{"validUntil with fractional seconds, past", base(func(m map[string]any) {
			m["validUntil"] = testNow.Add(-2 * time.Hour).UTC().Format(time.RFC3339Nano[:len(time.RFC3339)-1] + ".999999999Z")
		}), verifier.CodeExpired},
		{"validFrom far future", base(func(m map[string]any) { m["validFrom"] = "9999-12-31T23:59:59Z" }), verifier.CodeNotYetValid},
		// NumericDates beyond what int64 seconds hold: a nbf far in the future must not wrap
		// round to the far past.
		{"nbf claim beyond int64 seconds", base(func(m map[string]any) { m["nbf"] = 1e19 }), verifier.CodeNotYetValid},
		{"iat claim beyond int64 seconds, no validFrom", base(func(m map[string]any) { delete(m, "validFrom"); m["iat"] = 1e19 }), verifier.CodeNotYetValid},
		{"exp claim beyond int64 seconds", base(func(m map[string]any) { m["exp"] = 1e19 }), ""},
		{"exp claim far in the past", base(func(m map[string]any) { m["exp"] = -1e19 }), verifier.CodeExpired},
		{"leap second in validUntil", base(func(m map[string]any) { m["validUntil"] = "2016-12-31T23:59:60Z" }), verifier.CodeMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.VerifyCredential(ctx, []byte(ed.joseVC(t, tt.cred)))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if !res.Verified {
					t.Fatalf("not verified: %+v", res.Errors)
				}
				return
			}
			if res.Verified || !res.HasError(tt.want) {
				t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, tt.want)
			}
		})
	}
}
