package verifier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestDataIntegrityTermsSpeltAsIRIs: a holder of a signed Data Integrity credential rewrites a
// member the verifier reads by its JSON name (credentialStatus, validUntil) under the absolute
// IRI the name expands to. The RDF dataset, and so the signature, stays the same; the verifier
// must not then read the credential as having no status or no end of validity.
func TestDataIntegrityTermsSpeltAsIRIs(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	st := &fakeStatus{Values: map[string]uint8{"https://status.example/list/1#42": 1}}
	v := newVerifier(t, verifier.NewStaticTrust(2, is.Authority()), st, verifier.Policy{})
	sign := func(c testutil.Cred) string {
		c.Issuer, c.LD = is.DID, true
		signed, err := vcld.SignCredential(ctx, c.JSON(), vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: testNow.Add(-48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return string(signed)
	}
	revoked := sign(testutil.Cred{From: testNow.Add(-48 * time.Hour), Status: statusEntry("revocation", "42")})
	expired := sign(testutil.Cred{From: testNow.Add(-48 * time.Hour), Until: testNow.Add(-time.Hour)})
	early := sign(testutil.Cred{From: testNow.Add(24 * time.Hour)})
	until := testNow.Add(-time.Hour).UTC().Format(time.RFC3339)
	typedUntil := `{"@value":"` + until + `","@type":"http://www.w3.org/2001/XMLSchema#dateTime"}`
	from := testNow.Add(24 * time.Hour).UTC().Format(time.RFC3339)
	entry := func(doc string) string { // the credentialStatus member's value, as signed
		i := strings.Index(doc, `"credentialStatus":`) + len(`"credentialStatus":`)
		return doc[i : i+strings.IndexByte(doc[i:], '}')+1]
	}
	status := entry(revoked)
	replace := func(old, new string) func(string) string {
		return func(doc string) string {
			out := strings.Replace(doc, old, new, 1)
			if out == doc {
				t.Fatalf("%q not found in %s", old, doc)
			}
			return out
		}
	}
	then := func(f, g func(string) string) func(string) string {
		return func(doc string) string { return g(f(doc)) }
	}
	dropStatus := replace(`"credentialStatus":`+status+`,`, "")
	addContext := func(term string) func(string) string {
		return replace(`"https://www.w3.org/ns/credentials/v2",{`, `"https://www.w3.org/ns/credentials/v2",`+term+`,{`)
	}
	const credID = `"id":"urn:uuid:5e8f5a44-7b0c-4f4e-9a1c-000000000001"`
	tests := []struct {
		name string
		doc  string
		edit func(string) string
		want verifier.Code
	}{
		{"revoked as signed", revoked, nil, verifier.CodeRevoked},
		{"credentialStatus as an IRI", revoked, replace(`"credentialStatus":`, `"https://www.w3.org/2018/credentials#credentialStatus":`), verifier.CodeMalformed},
		{"credentialStatus under an added alias", revoked, then(replace(`"credentialStatus":`, `"cs":`), addContext(`{"cs":"https://www.w3.org/2018/credentials#credentialStatus"}`)), verifier.CodeMalformed},
		{"credentialStatus under @nest", revoked, then(dropStatus, replace(credID, `"@nest":{"https://www.w3.org/2018/credentials#credentialStatus":`+status+`},`+credID)), verifier.CodeMalformed},
		{"credentialStatus moved to @included", revoked, then(dropStatus, replace(credID, `"@included":[{`+credID+`,"https://www.w3.org/2018/credentials#credentialStatus":`+status+`}],`+credID)), verifier.CodeMalformed},
		{"credentialStatus both spelt and an IRI", revoked, replace(`"credentialStatus":`, `"https://www.w3.org/2018/credentials#credentialStatus":[],"credentialStatus":`), verifier.CodeMalformed},
		{"expired as signed", expired, nil, verifier.CodeExpired},
		{"validUntil as an IRI with a typed value", expired, replace(`"validUntil":"`+until+`"`, `"https://www.w3.org/2018/credentials#validUntil":`+typedUntil), verifier.CodeMalformed},
		{"not yet valid as signed", early, nil, verifier.CodeNotYetValid},
		{"validFrom as an IRI with a typed value", early, replace(`"validFrom":"`+from+`"`,
			`"https://www.w3.org/2018/credentials#validFrom":{"@value":"`+from+`","@type":"http://www.w3.org/2001/XMLSchema#dateTime"}`), verifier.CodeMalformed},
	}
	edit := func(doc string, f func(string) string) string {
		if f == nil {
			return doc
		}
		return f(doc)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.VerifyCredential(ctx, []byte(edit(tt.doc, tt.edit)))
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !res.HasError(tt.want) {
				t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, tt.want)
			}
		})
	}

	// The same inside a Data Integrity presentation, where the credential's expanded form is
	// taken from the presentation's.
	holder := testutil.NewParty(t, keys.EdDSA)
	pv := newVerifier(t, verifier.NewStaticTrust(2, is.Authority()), st, verifier.Policy{HolderBinding: verifier.HolderBindingHolderSigned})
	for _, tt := range tests {
		t.Run("presented/"+tt.name, func(t *testing.T) {
			nonce, _, err := pv.IssueChallenge(ctx)
			if err != nil {
				t.Fatal(err)
			}
			vp := edit(string(holder.PresentLD(t, nonce, "verifier.example", []byte(tt.doc))), tt.edit)
			res, err := pv.VerifyPresentation(ctx, []byte(vp), verifier.PresentationOptions{Domain: "verifier.example"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !res.HasError(tt.want) {
				t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, tt.want)
			}
		})
	}
}

// TestDataIntegrityContextRedefinesClaims: a holder changes the contexts of a signed Data
// Integrity credential so that the issuer's claim names take each other's IRIs, and swaps the
// values: the statements, and the signature, stay the same while the claims read by name
// change meaning. Every way to do it must be refused.
func TestDataIntegrityContextRedefinesClaims(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(2, is.Authority()), nil, verifier.Policy{})
	cred := testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), LD: true}
	inline := string(is.SignLD(t, cred.JSON(), testNow.Add(-time.Hour)))
	cred.LD = false
	vocab := string(is.SignLD(t, []byte(strings.Replace(string(cred.JSON()), `"@context":["https://www.w3.org/ns/credentials/v2"]`,
		`"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/undefined-terms/v2"]`, 1)), testNow.Add(-time.Hour)))
	swapValues := strings.NewReplacer(`"uen":"201912345K"`, `"uen":"ACME Pte Ltd"`, `"legalName":"ACME Pte Ltd"`, `"legalName":"201912345K"`)
	appendContext := func(doc, c string) string {
		i := strings.Index(doc, `"@context":[`) + len(`"@context":[`)
		j := i + strings.Index(doc[i:], "]")
		return doc[:j] + "," + c + doc[j:]
	}
	const (
		ns        = "https://idport.dev/ns#"
		dependent = "https://www.w3.org/ns/credentials/issuer-dependent#"
	)
	tests := []struct{ name, signed, doc string }{
		{"a context appended that redefines the issuer's terms", inline,
			appendContext(swapValues.Replace(inline), `{"uen":"`+ns+`legalName","legalName":"`+ns+`uen"}`)},
		{"the issuer's inline context rewritten", inline, strings.NewReplacer(
			`"uen":"201912345K"`, `"uen":"ACME Pte Ltd"`, `"legalName":"ACME Pte Ltd"`, `"legalName":"201912345K"`,
			`"uen":"`+ns+`uen"`, `"uen":"`+ns+`legalName"`, `"legalName":"`+ns+`legalName"`, `"legalName":"`+ns+`uen"`,
		).Replace(inline)},
		{"a context embedded in the subject", inline, strings.Replace(swapValues.Replace(inline), `"credentialSubject":{`,
			`"credentialSubject":{"@context":{"uen":"`+ns+`legalName","legalName":"`+ns+`uen"},`, 1)},
		{"terms of the issuer-dependent vocabulary aliased", vocab,
			appendContext(swapValues.Replace(vocab), `{"uen":"`+dependent+`legalName","legalName":"`+dependent+`uen"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.VerifyCredential(ctx, []byte(tt.signed))
			if err != nil || !res.Verified || res.Claims["registrationNumber"] != "201912345K" {
				t.Fatalf("as signed: %v %+v %v", err, res.Errors, res.Claims)
			}
			if tt.doc == tt.signed || !strings.Contains(tt.doc, `"uen":"ACME Pte Ltd"`) {
				t.Fatal("nothing swapped")
			}
			res, err = v.VerifyCredential(ctx, []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !res.HasError(verifier.CodeMalformed) {
				t.Fatalf("verified=%v claims %v errors %+v, want malformed", res.Verified, res.Claims, res.Errors)
			}
		})
	}
}

// TestDataIntegritySubjectIDRespelt: someone other than the subject presents a Data Integrity
// credential after spelling its subject's "id" as the keyword "@id" (or an alias of it), which
// states the same and so keeps the signature: the credential must not pass for one without a
// subject, which the subject holder binding lets anyone present.
func TestDataIntegritySubjectIDRespelt(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	subject := testutil.NewParty(t, keys.EdDSA)
	thief := testutil.NewParty(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(2, is.Authority()), nil, verifier.Policy{CrossBorder: verifier.ClaimsStrip})
	signed := string(is.SignLD(t, testutil.Cred{Issuer: is.DID, Subject: subject.DID, From: testNow.Add(-time.Hour), LD: true}.JSON(), testNow.Add(-time.Hour)))
	subjectID := `"id":"` + subject.DID + `"`
	for name, edit := range map[string]func(string) string{
		"as signed": func(doc string) string { return doc },
		"@id":       func(doc string) string { return strings.Replace(doc, subjectID, `"@id":"`+subject.DID+`"`, 1) },
		"alias of @id": func(doc string) string {
			doc = strings.Replace(doc, subjectID, `"ident":"`+subject.DID+`"`, 1)
			return strings.Replace(doc, `"https://www.w3.org/ns/credentials/v2",{`, `"https://www.w3.org/ns/credentials/v2",{"ident":"@id"},{`, 1)
		},
		"subject as an IRI": func(doc string) string {
			return strings.Replace(doc, `"credentialSubject":`, `"https://www.w3.org/2018/credentials#credentialSubject":`, 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			nonce, _, err := v.IssueChallenge(ctx)
			if err != nil {
				t.Fatal(err)
			}
			vp := []byte(edit(string(thief.PresentLD(t, nonce, "verifier.example", []byte(signed)))))
			if name != "as signed" && !strings.Contains(string(vp), subject.DID) {
				t.Fatal("edit lost the subject")
			}
			res, err := v.VerifyPresentation(ctx, vp, verifier.PresentationOptions{Domain: "verifier.example"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified {
				t.Fatalf("a thief's presentation verified: subject %q", res.Credentials[0].Subject)
			}
		})
	}
}

// TestDataIntegrityTypeRelabelled: an issuer recognised for BusinessRegistration only signs a
// PersonIdentity credential; a holder relabels its type in the JSON with a context mapping the
// name BusinessRegistration to the signed type's IRI. Recognition must not see the label (the
// inline context is refused before anything is read).
func TestDataIntegrityTypeRelabelled(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(2, is.Authority()), nil, verifier.Policy{})
	const dependent = "https://www.w3.org/ns/credentials/issuer-dependent#"
	unsigned := strings.NewReplacer(
		`"@context":["https://www.w3.org/ns/credentials/v2"]`, `"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/undefined-terms/v2"]`,
		`"BusinessRegistration"`, `"PersonIdentity"`,
	).Replace(string(testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour)}.JSON()))
	signed := string(is.SignLD(t, []byte(unsigned), testNow.Add(-time.Hour)))
	res, err := v.VerifyCredential(ctx, []byte(signed))
	if err != nil || res.Verified || !res.HasError(verifier.CodeTypeNotRecognised) {
		t.Fatalf("as signed: %v verified=%v %+v", err, res.Verified, res.Errors)
	}
	relabelled := strings.Replace(signed, `"PersonIdentity"`, `"BusinessRegistration"`, 1)
	relabelled = strings.Replace(relabelled, `"https://www.w3.org/ns/credentials/undefined-terms/v2"]`,
		`"https://www.w3.org/ns/credentials/undefined-terms/v2",{"BusinessRegistration":"`+dependent+`PersonIdentity"}]`, 1)
	if !strings.Contains(relabelled, `"type":["VerifiableCredential","BusinessRegistration"]`) || !strings.Contains(relabelled, dependent+`PersonIdentity`) {
		t.Fatalf("not relabelled: %s", relabelled)
	}
	res, err = v.VerifyCredential(ctx, []byte(relabelled))
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified || res.Recognition != nil {
		t.Fatalf("verified=%v types %v recognition %+v", res.Verified, res.Types, res.Recognition)
	}
}
