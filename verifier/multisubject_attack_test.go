package verifier_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// multiSubjectLD returns the JSON of an unsigned Data Integrity
// BusinessRegistration credential by issuer with the given subjects.
func multiSubjectLD(issuer string, subjects ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"@context":          []any{"https://www.w3.org/ns/credentials/v2", testutil.LDContext},
		"id":                "urn:uuid:5e8f5a44-7b0c-4f4e-9a1c-000000000002",
		"type":              []any{"VerifiableCredential", "BusinessRegistration"},
		"issuer":            issuer,
		"validFrom":         testNow.Add(-48 * time.Hour).UTC().Format(time.RFC3339),
		"credentialSubject": subjects,
	})
	return b
}

// reverseSubjects reverses the credentialSubject array of a signed
// credential. Array order is not part of the RDF dataset, so the proof
// still verifies.
func reverseSubjects(t *testing.T, signed []byte) []byte {
	t.Helper()
	return edit(t, signed, func(m map[string]any) { slices.Reverse(m["credentialSubject"].([]any)) })
}

// TestDataIntegrityMultiSubjectReorder: a holder reverses the subjects of a
// signed two-subject Data Integrity credential. The proof still verifies,
// so the verdict, claims and holder binding must not depend on the order:
// the verifier refuses to read one subject of several (ambiguous_subject),
// whatever their order.
func TestDataIntegrityMultiSubjectReorder(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	victim := testutil.NewParty(t, keys.EdDSA)
	attacker := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(2, is.Authority())
	signed := is.SignLD(t, multiSubjectLD(is.DID,
		map[string]any{"id": victim.DID, "uen": "201912345K", "legalName": "ACME Pte Ltd"},
		map[string]any{"uen": "999999999Z", "legalName": "Other Pte Ltd"},
	), testNow.Add(-48*time.Hour))
	reordered := reverseSubjects(t, signed)

	t.Run("credential", func(t *testing.T) {
		v := newVerifier(t, trust, &fakeStatus{}, verifier.Policy{})
		var got [2]*verifier.Result
		for i, doc := range [][]byte{signed, reordered} {
			res, err := v.VerifyCredential(ctx, doc)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = res
		}
		if got[0].Verified != got[1].Verified || got[0].Subject != got[1].Subject || !reflect.DeepEqual(got[0].Claims, got[1].Claims) {
			t.Fatalf("reordering the subjects changed the verdict: signed verified=%v subject=%q claims=%v; reordered verified=%v subject=%q claims=%v",
				got[0].Verified, got[0].Subject, got[0].Claims, got[1].Verified, got[1].Subject, got[1].Claims)
		}
		for i, res := range got {
			if res.Verified || !res.HasError(verifier.CodeAmbiguousSubject) || res.Subject != "" || len(res.Claims) != 0 {
				t.Fatalf("%d: verified=%v subject=%q claims=%v errors=%+v, want %s and nothing read", i, res.Verified, res.Subject, res.Claims, res.Errors, verifier.CodeAmbiguousSubject)
			}
		}
	})

	// The attacker presents the victim's credential: as signed, the first
	// subject names the victim and holder binding fails; reordered, the
	// first subject has no id and binding would be dodged.
	t.Run("presented", func(t *testing.T) {
		v := newVerifier(t, trust, &fakeStatus{}, verifier.Policy{HolderBinding: verifier.HolderBindingSubject})
		var errs []string
		for i, doc := range [][]byte{signed, reordered} {
			nonce, _, err := v.IssueChallenge(ctx)
			if err != nil {
				t.Fatal(err)
			}
			vp := attacker.PresentLD(t, nonce, "verifier.example", doc)
			res, err := v.VerifyPresentation(ctx, vp, verifier.PresentationOptions{Domain: "verifier.example"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !res.HasError(verifier.CodeAmbiguousSubject) || len(res.Claims) != 0 {
				errs = append(errs, fmt.Sprintf("%d: verified=%v subject=%q claims=%v errors=%+v, want %s", i, res.Verified, res.Subject, res.Claims, res.Errors, verifier.CodeAmbiguousSubject))
			}
		}
		if len(errs) > 0 {
			t.Fatal(strings.Join(errs, "\n"))
		}
	})
}

// TestDataIntegritySubjectArrays: a Data Integrity credential whose
// credentialSubject is an array of one subject, or of copies of one
// subject, has one reading whatever the order, and verifies.
func TestDataIntegritySubjectArrays(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(2, is.Authority()), &fakeStatus{}, verifier.Policy{})
	sub := map[string]any{"id": "did:example:acme", "uen": "201912345K", "legalName": "ACME Pte Ltd"}
	for name, subs := range map[string][]map[string]any{"one": {sub}, "twice the same": {sub, sub}} {
		t.Run(name, func(t *testing.T) {
			doc := is.SignLD(t, multiSubjectLD(is.DID, subs...), testNow.Add(-48*time.Hour))
			res, err := v.VerifyCredential(ctx, doc)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Verified || res.Subject != "did:example:acme" || res.Claims["legalName"] != "ACME Pte Ltd" {
				t.Fatalf("verified=%v subject=%q claims=%v errors=%+v", res.Verified, res.Subject, res.Claims, res.Errors)
			}
		})
	}
}
