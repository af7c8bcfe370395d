// Package conformance states, one line each, the normative statements of the W3C and IETF
// specifications idport implements, and proves each with a test from the outside: credentials
// made here (or by a real idport issuer over HTTP) go through the verifier SDK or a real verifier
// service, and the test asserts what the statement requires.
//
// The table below is the index: every row names its specification, section, the statement in
// one line and the test function that proves it. TestStatements runs them all; a statement that
// idport does not implement is not listed (docs/sdk.md says what is out of scope).
package conformance

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
)

// statement is one normative statement and the test that proves it.
type statement struct {
	spec, section, text string
	test                func(t *testing.T, w *world)
}

// statements is the conformance index. Keep it sorted by specification.
var statements = []statement{
	{"VC DM 2.0", "§4.1", "the first @context item of a credential is the VC v2 context URL", testContextFirst},
	{"VC DM 2.0", "§4.4", "a credential's type includes VerifiableCredential", testTypeIncludesVC},
	{"VC DM 2.0", "§4.4", "every type a credential asserts is checked, not just one of them (recognition per type)", testEveryTypeRecognised},
	{"VC DM 2.0", "§4.9", "a credential past its validUntil does not verify", testValidUntil},
	{"VC DM 2.0", "§4.9", "a credential before its validFrom does not verify", testValidFrom},
	{"VC DM 2.0", "§4.10", "every credentialStatus entry is checked and reported", testEveryStatusEntry},
	{"VC DM 2.0", "§4.13", "a verifiable presentation may carry no verifiableCredential", testPresentationWithoutCredential},
	{"VC DM 2.0", "§5.3", "relatedResource ids are unique and each carries digestSRI or digestMultibase", testRelatedResource},
	{"VC DM 2.0", "§4.3", "an explicit \"id\": null is invalid, never read as an absent id", testIDNull},
	{"VC DM 2.0", "§4.4 / §4.1", "issuing vc+jwt validates JSON-LD like Data Integrity: a type no context defines is refused", testIssueUndefinedType},
	{"VC-JOSE-COSE", "§3.1.1", "a vc+jwt whose payload was altered after signing does not verify", testJOSETampered},
	{"VC-JOSE-COSE", "§3.1.1", "alg none and HMAC algorithms are refused", testJOSEAlgAllowList},
	{"VC-JOSE-COSE", "§3.1.3", "an enveloped credential's data: URL media type must match its content", testEnvelopedMediaType},
	{"VC-JOSE-COSE", "§3.1.3", "a JSON string holding a JSON object is not a compact credential", testJSONStringIsCompactOnly},
	{"SD-JWT VC", "§4.2 / RFC 9901 §4.3", "a key-binding JWT with alg none is refused", testKeyBindingAlgNone},
	{"Data Integrity 1.0", "§4.2", "a secured document changed after signing does not verify", testDITampered},
	{"Data Integrity 1.0", "§2.2 (safe mode)", "a term that does not expand (an unsigned addition) is an error, not dropped", testDISafeMode},
	{"Data Integrity 1.0", "§2.1.2 (proof sets)", "an issuer proof plus a witness proof by another DID verifies, each with its own key", testDIProofSet},
	{"Data Integrity 1.0", "§2.1.2 (proof chains)", "a chained proof verifies over the proof it names; a previousProof naming no proof is an error", testDIProofChain},
	{"eddsa-rdfc-2022", "§3.3.2", "a proof made with another key than its verificationMethod names does not verify", testDIWrongKey},
	{"Bitstring Status List 1.0", "§3.2", "a revoked credential does not verify (revoked)", testRevoked},
	{"Bitstring Status List 1.0", "§3.2", "a suspended credential does not verify (suspended) and verifies again once reinstated", testSuspended},
	{"Bitstring Status List 1.0", "§2.2 / §3.1", "a status list is served as a Data Integrity BitstringStatusListCredential to a client that accepts application/vc+ld+json", testStatusListNegotiated},
	{"VC-API", "issue", "a credential without issuer is refused with 400 (the instance does not fill it by default)", testIssueWithoutIssuer},
	{"VC-API", "verify", "a credential that fails verification answers HTTP 400 with the full result", testVerify400},
	{"VC-API", "verify", "a request body that is not a credential at all answers HTTP 422", testVerify422},
	{"VC-API", "verify", "a verified credential answers HTTP 200 with verified true", testVerify200},
}

// TestStatements runs every statement of the index as a subtest named after it.
func TestStatements(t *testing.T) {
	w := newWorld(t)
	for _, s := range statements {
		t.Run(s.spec+" "+s.section+": "+s.text, func(t *testing.T) { s.test(t, w) })
	}
}

// TestIndexIsComplete keeps the index honest: no statement without a test, no test twice.
func TestIndexIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range statements {
		if s.test == nil || s.spec == "" || s.text == "" {
			t.Errorf("incomplete row %+v", s)
		}
		if seen[s.spec+s.text] {
			t.Errorf("statement listed twice: %s", s.text)
		}
		seen[s.spec+s.text] = true
	}
}

// world holds what the statements need: a self-signing issuer key (did:key), an SDK verifier
// that trusts it for two types, and a real registry + issuer + verifier over HTTP.
type world struct {
	ctx       context.Context
	key       *keys.Key
	issuerDID string
	other     *keys.Key // a key nobody recognises
	sdk       *verifier.Verifier
	// crypto verifies without recognition (pure cryptographic verification).
	crypto *verifier.Verifier

	stack    *stack.Stack
	issuer   *stack.Issuer
	verifier *stack.Verifier
}

const (
	recognisedType = "BusinessRegistration"
	otherType      = "PersonIdentity"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	w := &world{ctx: ctx}
	var err error
	if w.key, err = keys.Generate(keys.EdDSA); err != nil {
		t.Fatal(err)
	}
	if w.other, err = keys.Generate(keys.EdDSA); err != nil {
		t.Fatal(err)
	}
	w.issuerDID, _, err = did.KeyDID(w.key.Public)
	if err != nil {
		t.Fatal(err)
	}
	w.key.ID = w.issuerDID + "#" + strings.TrimPrefix(w.issuerDID, "did:key:")

	s, reg, is, _, err := stack.NewDemoWorld(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w.stack, w.issuer = s, is
	if w.verifier, err = s.StartVerifier(ctx, "conformance-verifier", reg, verifier.Policy{LocalScheme: demoseed.LocalScheme,
		AssuranceLevels: []string{"L1", "L2", "L3"}}, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	sf, err := s.NewStatusFetcher(time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	trust := verifier.NewStaticTrust(1, verifier.StaticAuthority{Issuer: w.issuerDID, Authority: "conformance-authority",
		Scheme: "test.scheme", Jurisdiction: "SG", Types: []string{recognisedType}, LocalAssurance: "L3"})
	if w.sdk, err = verifier.New(verifier.Config{TrustSource: trust, StatusFetcher: sf,
		Policy: verifier.Policy{LocalScheme: "cn-sh-lg.corporate", AssuranceLevels: []string{"L1", "L2", "L3"},
			HolderBinding: verifier.HolderBindingNone, AllowCallerChallenge: true}}); err != nil {
		t.Fatal(err)
	}
	if w.crypto, err = verifier.New(verifier.Config{TrustSource: trust, StatusFetcher: sf,
		Policy: verifier.Policy{RecognitionOptional: true, HolderBinding: verifier.HolderBindingNone, AllowCallerChallenge: true}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// plainCredential is a VC 2.0 credential using only terms the VC v2 context defines, for the
// Data Integrity statements (the JSON-LD safe mode refuses terms no context defines).
func (w *world) plainCredential() *vc.Credential {
	c := w.credential()
	c.Subject = []map[string]any{{"id": "did:example:acme", "name": "Acme Pte. Ltd."}}
	return c
}

// credential returns a VC 2.0 credential by the world's issuer, valid for an hour.
func (w *world) credential(types ...string) *vc.Credential {
	from := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	until := from.Add(time.Hour)
	return &vc.Credential{Context: []any{vc.ContextV2}, ID: "urn:uuid:" + randomID(),
		Type: append([]string{vc.TypeCredential}, types...), Issuer: vc.Issuer{ID: w.issuerDID},
		ValidFrom: &from, ValidUntil: &until,
		Subject: []map[string]any{{"id": "did:example:acme", "uen": "201912345K", "legalName": "Acme Pte. Ltd."}}}
}

// jose signs c as an enveloped VC-JOSE credential (the VC-API JSON form).
func (w *world) jose(t *testing.T, k *keys.Key, c *vc.Credential) []byte {
	t.Helper()
	tok, err := vcjwt.SignVCJOSE(k, c)
	if err != nil {
		t.Fatal(err)
	}
	return envelope("application/vc+jwt", tok)
}

func envelope(mediaType, tok string) []byte {
	b, _ := json.Marshal(map[string]any{"@context": []string{vc.ContextV2}, "type": "EnvelopedVerifiableCredential",
		"id": "data:" + mediaType + "," + tok})
	return b
}

// dataIntegrity signs c with an eddsa-rdfc-2022 proof by signer naming the world's key.
func (w *world) dataIntegrity(t *testing.T, signer *keys.Key, c *vc.Credential) []byte {
	t.Helper()
	doc, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out, err := vcld.SignCredential(w.ctx, doc, vcld.SignOptions{Signer: signer.Signer, VerificationMethod: w.key.ID,
		Suite: vcld.EddsaRdfc2022, ProofPurpose: "assertionMethod"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *world) verify(t *testing.T, raw []byte) *verifier.Result {
	t.Helper()
	res, err := w.sdk.VerifyCredential(w.ctx, raw)
	if err != nil {
		t.Fatalf("VerifyCredential: %v", err)
	}
	return res
}

func (w *world) verifyCrypto(t *testing.T, raw []byte) *verifier.Result {
	t.Helper()
	res, err := w.crypto.VerifyCredential(w.ctx, raw)
	if err != nil {
		t.Fatalf("VerifyCredential: %v", err)
	}
	return res
}

func wantVerified(t *testing.T, res *verifier.Result) {
	t.Helper()
	if !res.Verified {
		t.Fatalf("want verified, got errors %+v", res.Errors)
	}
}

func wantRefused(t *testing.T, res *verifier.Result, codes ...verifier.Code) {
	t.Helper()
	if res.Verified {
		t.Fatalf("want refused with %v, got verified", codes)
	}
	for _, e := range res.Errors {
		for _, c := range codes {
			if e.Code == c {
				return
			}
		}
	}
	t.Fatalf("want one of %v, got errors %+v", codes, res.Errors)
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// rawJOSE signs an arbitrary payload object as a vc+jwt with the world's key.
func (w *world) rawJOSE(t *testing.T, header map[string]any, payload map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(payload)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	sig := ed25519.Sign(w.key.Signer.(ed25519.PrivateKey), []byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (w *world) credentialMap(t *testing.T, c *vc.Credential) map[string]any {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (w *world) signedMap(t *testing.T, m map[string]any) []byte {
	t.Helper()
	return envelope("application/vc+jwt", w.rawJOSE(t, map[string]any{"alg": "EdDSA", "typ": "vc+jwt", "kid": w.key.ID}, m))
}

func testContextFirst(t *testing.T, w *world) {
	m := w.credentialMap(t, w.credential(recognisedType))
	m["@context"] = []any{"https://example.org/other/v1", vc.ContextV2}
	wantRefused(t, w.verify(t, w.signedMap(t, m)), verifier.CodeMalformed)
}

func testTypeIncludesVC(t *testing.T, w *world) {
	m := w.credentialMap(t, w.credential(recognisedType))
	m["type"] = []any{recognisedType}
	wantRefused(t, w.verify(t, w.signedMap(t, m)), verifier.CodeMalformed)
}

func testEveryTypeRecognised(t *testing.T, w *world) {
	wantVerified(t, w.verify(t, w.jose(t, w.key, w.credential(recognisedType))))
	wantRefused(t, w.verify(t, w.jose(t, w.key, w.credential(recognisedType, otherType))), verifier.CodeTypeNotRecognised)
}

func testValidUntil(t *testing.T, w *world) {
	c := w.credential(recognisedType)
	from, until := time.Now().Add(-48*time.Hour).UTC().Truncate(time.Second), time.Now().Add(-24*time.Hour).UTC().Truncate(time.Second)
	c.ValidFrom, c.ValidUntil = &from, &until
	wantRefused(t, w.verify(t, w.jose(t, w.key, c)), verifier.CodeExpired)
}

func testValidFrom(t *testing.T, w *world) {
	c := w.credential(recognisedType)
	from := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	until := from.Add(time.Hour)
	c.ValidFrom, c.ValidUntil = &from, &until
	wantRefused(t, w.verify(t, w.jose(t, w.key, c)), verifier.CodeNotYetValid)
}

// issueHTTP issues a demo credential from the real issuer and returns it with its id.
func (w *world) issueHTTP(t *testing.T, format string) (json.RawMessage, string) {
	t.Helper()
	cred, id, err := w.issuer.Issue(w.ctx, demoseed.Type, format, subject(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cred, id
}

// subject is a complete BusinessRegistration subject of the demo's type.
func subject() map[string]any {
	return map[string]any{"id": "did:example:acme-sg", "uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
		"registeredAddress": "1 Marina Boulevard, Singapore 018989", "incorporationDate": "2019-04-02",
		"entityType": "Private Company Limited by Shares"}
}

func testEveryStatusEntry(t *testing.T, w *world) {
	cred, _ := w.issueHTTP(t, "vc+jwt")
	res, status, err := w.verifier.VerifyCredential(w.ctx, cred)
	if err != nil || status != http.StatusOK {
		t.Fatalf("verify: %d %v %s", status, err, stack.Summary(res))
	}
	// The issuer gives every credential a revocation and a suspension entry: both are checked.
	purposes := map[string]bool{}
	for _, st := range res.Results.Statuses {
		purposes[st.Purpose] = st.Checked
	}
	if !purposes["revocation"] || !purposes["suspension"] {
		t.Fatalf("want both entries checked and reported, got %+v", res.Results.Statuses)
	}
}

func testPresentationWithoutCredential(t *testing.T, w *world) {
	vp, _ := json.Marshal(map[string]any{"@context": []string{vc.ContextV2}, "type": []string{"VerifiablePresentation"},
		"holder": w.issuerDID})
	out, err := vcld.SignPresentation(w.ctx, vp, vcld.SignOptions{Signer: w.key.Signer, VerificationMethod: w.key.ID,
		Suite: vcld.EddsaRdfc2022, ProofPurpose: "authentication", Challenge: "c-123", Domain: "lingang.example"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.crypto.VerifyPresentation(w.ctx, out, verifier.PresentationOptions{Challenge: "c-123", Domain: "lingang.example"})
	if err != nil {
		t.Fatal(err)
	}
	wantVerified(t, res)
}

func testRelatedResource(t *testing.T, w *world) {
	for name, rr := range map[string]any{
		"no digest":     []any{map[string]any{"id": "https://example.org/a"}},
		"duplicate ids": []any{map[string]any{"id": "https://example.org/a", "digestSRI": "sha384-x"}, map[string]any{"id": "https://example.org/a", "digestSRI": "sha384-y"}},
	} {
		c := w.credentialMap(t, w.credential(recognisedType))
		c["relatedResource"] = rr
		c["issuer"] = w.issuer.DID
		status, _, _ := stack.Call(w.ctx, http.MethodPost, w.issuer.URL+"/credentials/issue", w.issuer.APIKey,
			map[string]any{"credential": c, "options": map[string]any{"format": "vc+jwt"}}, nil, http.StatusBadRequest)
		if status != http.StatusBadRequest {
			t.Errorf("%s: issuing answered %d, want 400", name, status)
		}
	}
}

func testIDNull(t *testing.T, w *world) {
	c := w.credentialMap(t, w.credential(recognisedType))
	c["id"] = nil
	c["issuer"] = w.issuer.DID
	status, _, _ := stack.Call(w.ctx, http.MethodPost, w.issuer.URL+"/credentials/issue", w.issuer.APIKey,
		map[string]any{"credential": c, "options": map[string]any{"format": "vc+jwt"}}, nil, http.StatusBadRequest)
	if status != http.StatusBadRequest {
		t.Fatalf("issuing a credential with id null answered %d, want 400", status)
	}
}

func testJOSETampered(t *testing.T, w *world) {
	tok, err := vcjwt.SignVCJOSE(w.key, w.credential(recognisedType))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), "201912345K", "199900001Z", 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	wantRefused(t, w.verify(t, envelope("application/vc+jwt", strings.Join(parts, "."))), verifier.CodeSignatureInvalid)
}

func testJOSEAlgAllowList(t *testing.T, w *world) {
	m := w.credentialMap(t, w.credential(recognisedType))
	for _, alg := range []string{"none", "HS256"} {
		tok := w.rawJOSE(t, map[string]any{"alg": alg, "typ": "vc+jwt", "kid": w.key.ID}, m)
		if alg == "none" {
			tok = tok[:strings.LastIndexByte(tok, '.')+1]
		}
		wantRefused(t, w.verify(t, envelope("application/vc+jwt", tok)), verifier.CodeAlgNotAllowed, verifier.CodeMalformed)
	}
}

func testEnvelopedMediaType(t *testing.T, w *world) {
	tok, err := vcjwt.SignVCJOSE(w.key, w.credential(recognisedType))
	if err != nil {
		t.Fatal(err)
	}
	wantRefused(t, w.verify(t, envelope("application/dc+sd-jwt", tok)), verifier.CodeMalformed, verifier.CodeUnsupportedFormat)
	wantRefused(t, w.verify(t, envelope("application/vc+jwt;charset=utf-16", tok)), verifier.CodeMalformed, verifier.CodeUnsupportedFormat)
}

func testJSONStringIsCompactOnly(t *testing.T, w *world) {
	signed, _ := w.issueHTTP(t, "ldp_vc")
	if res, status := w.verifyHTTP(t, signed); status != http.StatusOK {
		t.Fatalf("control: the Data Integrity credential as an object: HTTP %d %s", status, stack.Summary(res))
	}
	body, _ := json.Marshal(map[string]any{"verifiableCredential": string(signed)})
	var res struct {
		Verified bool `json:"verified"`
	}
	status, _, err := stack.Call(w.ctx, http.MethodPost, w.verifier.URL+"/credentials/verify", "", json.RawMessage(body), &res,
		http.StatusBadRequest, http.StatusUnprocessableEntity)
	if err != nil || res.Verified {
		t.Fatalf("the same credential as a JSON string: HTTP %d verified=%v err=%v", status, res.Verified, err)
	}
}

func testKeyBindingAlgNone(t *testing.T, w *world) {
	holder, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := holder.PublicJWK()
	if err != nil {
		t.Fatal(err)
	}
	claims := subject()
	delete(claims, "id")
	cred, _, err := w.issuer.Issue(w.ctx, demoseed.Type, "dc+sd-jwt", claims, map[string]any{"holderJwk": json.RawMessage(jwk)})
	if err != nil {
		t.Fatal(err)
	}
	var sd string
	if err := json.Unmarshal(cred, &sd); err != nil {
		t.Fatalf("SD-JWT VC is not a JSON string: %s", cred)
	}
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "kb+jwt"})
	p, _ := json.Marshal(map[string]any{"iat": time.Now().Unix(), "aud": "lingang.example", "nonce": "n-1", "sd_hash": "x"})
	kb := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
	body, _ := json.Marshal(map[string]any{"verifiableCredential": sd + kb})
	var res struct {
		Verified bool `json:"verified"`
	}
	status, _, err := stack.Call(w.ctx, http.MethodPost, w.verifier.URL+"/credentials/verify", "", json.RawMessage(body), &res,
		http.StatusBadRequest, http.StatusUnprocessableEntity)
	if err != nil || res.Verified {
		t.Fatalf("key binding with alg none: HTTP %d verified=%v err=%v", status, res.Verified, err)
	}
}

func testDITampered(t *testing.T, w *world) {
	signed := w.dataIntegrity(t, w.key, w.plainCredential())
	wantVerified(t, w.verifyCrypto(t, signed))
	tampered := []byte(strings.Replace(string(signed), "Acme Pte. Ltd.", "Evil Pte. Ltd.", 1))
	wantRefused(t, w.verifyCrypto(t, tampered), verifier.CodeSignatureInvalid)
}

func testDISafeMode(t *testing.T, w *world) {
	signed := w.dataIntegrity(t, w.key, w.plainCredential())
	var m map[string]any
	if err := json.Unmarshal(signed, &m); err != nil {
		t.Fatal(err)
	}
	m["credentialSubject"].(map[string]any)["undefinedTerm"] = "added after signing"
	b, _ := json.Marshal(m)
	wantRefused(t, w.verifyCrypto(t, b), verifier.CodeMalformed, verifier.CodeSignatureInvalid)
}

func testDIWrongKey(t *testing.T, w *world) {
	wantRefused(t, w.verifyCrypto(t, w.dataIntegrity(t, w.other, w.plainCredential())), verifier.CodeSignatureInvalid)
}

func (w *world) setStatus(t *testing.T, id, action string) {
	t.Helper()
	if _, err := w.issuer.SetStatus(w.ctx, id, action); err != nil {
		t.Fatal(err)
	}
}

func (w *world) verifyHTTP(t *testing.T, cred json.RawMessage) (*httpapi.Response, int) {
	t.Helper()
	res, status, err := w.verifier.VerifyCredential(w.ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	return res, status
}

func testRevoked(t *testing.T, w *world) {
	cred, id := w.issueHTTP(t, "vc+jwt")
	w.setStatus(t, id, "revoke")
	res, status := w.verifyHTTP(t, cred)
	if status != http.StatusBadRequest || !stack.HasError(res, string(verifier.CodeRevoked)) {
		t.Fatalf("revoked credential: HTTP %d %s", status, stack.Summary(res))
	}
}

func testSuspended(t *testing.T, w *world) {
	cred, id := w.issueHTTP(t, "vc+jwt")
	w.setStatus(t, id, "suspend")
	res, status := w.verifyHTTP(t, cred)
	if status != http.StatusBadRequest || !stack.HasError(res, string(verifier.CodeSuspended)) {
		t.Fatalf("suspended credential: HTTP %d %s", status, stack.Summary(res))
	}
	w.setStatus(t, id, "reinstate")
	if err := stack.Eventually(w.ctx, func() (bool, error) {
		res, status := w.verifyHTTP(t, cred)
		return status == http.StatusOK && res.Verified, nil
	}); err != nil {
		t.Fatalf("reinstated credential does not verify: %v", err)
	}
}

func testVerify400(t *testing.T, w *world) {
	res, status := w.verifyHTTP(t, w.jose(t, w.other, w.credential(recognisedType)))
	if status != http.StatusBadRequest || res.Verified || len(res.Errors) == 0 || len(res.Results.Checks) == 0 {
		t.Fatalf("want 400 with the full result, got HTTP %d %+v", status, res)
	}
}

func testVerify422(t *testing.T, w *world) {
	status, _, err := stack.Call(w.ctx, http.MethodPost, w.verifier.URL+"/credentials/verify", "",
		map[string]any{"verifiableCredential": 42}, nil, http.StatusUnprocessableEntity)
	if err != nil {
		t.Fatalf("a number as credential: HTTP %d: %v", status, err)
	}
}

func testVerify200(t *testing.T, w *world) {
	cred, _ := w.issueHTTP(t, "vc+jwt")
	res, status := w.verifyHTTP(t, cred)
	if status != http.StatusOK || !res.Verified || res.Recognition == nil {
		t.Fatalf("want 200 verified with grounds, got HTTP %d %s", status, stack.Summary(res))
	}
}

// issueCredential posts a complete credential (VC-API form) and returns the HTTP status.
func (w *world) issueCredential(t *testing.T, c map[string]any, format string) int {
	t.Helper()
	status, _, _ := stack.Call(w.ctx, http.MethodPost, w.issuer.URL+"/credentials/issue", w.issuer.APIKey,
		map[string]any{"credential": c, "options": map[string]any{"format": format}}, nil, http.StatusCreated, http.StatusBadRequest)
	return status
}

func testIssueUndefinedType(t *testing.T, w *world) {
	c := w.credentialMap(t, w.credential("NoContextDefinesThisType"))
	c["issuer"] = w.issuer.DID
	delete(c["credentialSubject"].(map[string]any), "uen")
	delete(c["credentialSubject"].(map[string]any), "legalName")
	if status := w.issueCredential(t, c, "vc+jwt"); status != http.StatusBadRequest {
		t.Fatalf("vc+jwt with an undefined type: HTTP %d, want 400", status)
	}
}

func testIssueWithoutIssuer(t *testing.T, w *world) {
	c := w.credentialMap(t, w.plainCredential())
	delete(c, "issuer")
	if status := w.issueCredential(t, c, "vc+jwt"); status != http.StatusBadRequest {
		t.Fatalf("a credential without issuer: HTTP %d, want 400", status)
	}
	c["issuer"] = w.issuer.DID
	if status := w.issueCredential(t, c, "vc+jwt"); status != http.StatusCreated {
		t.Fatalf("control: the same credential with the issuer's DID: HTTP %d, want 201", status)
	}
}

func testStatusListNegotiated(t *testing.T, w *world) {
	cred, _ := w.issueHTTP(t, "vc+jwt")
	res, _ := w.verifyHTTP(t, cred)
	if len(res.Results.Statuses) == 0 {
		t.Fatal("no status list to fetch")
	}
	req, err := http.NewRequestWithContext(w.ctx, http.MethodGet, res.Results.Statuses[0].List, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vc+ld+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Type  []string       `json:"type"`
		Proof map[string]any `json:"proof"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("status list as JSON-LD (Content-Type %s): %v", resp.Header.Get("Content-Type"), err)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/vc+ld+json") ||
		len(list.Type) < 2 || list.Type[1] != "BitstringStatusListCredential" || list.Proof["cryptosuite"] != "eddsa-rdfc-2022" {
		t.Fatalf("status list: Content-Type %s, type %v, proof %v", resp.Header.Get("Content-Type"), list.Type, list.Proof)
	}
}

// addProof adds an eddsa-rdfc-2022 proof by signer (verification method vm) to doc, chained to
// the proofs named in previous.
func (w *world) addProof(t *testing.T, doc []byte, signer *keys.Key, vm, id string, previous ...string) []byte {
	t.Helper()
	out, err := vcld.AddProof(w.ctx, doc, vcld.SignOptions{Signer: signer.Signer, VerificationMethod: vm,
		Suite: vcld.EddsaRdfc2022, ProofPurpose: "assertionMethod", ID: id, PreviousProof: previous})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newWitness(t *testing.T) (*keys.Key, string) {
	t.Helper()
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := did.KeyDID(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	return k, d + "#" + strings.TrimPrefix(d, "did:key:")
}

func testDIProofSet(t *testing.T, w *world) {
	doc, _ := json.Marshal(w.plainCredential())
	witness, vm := newWitness(t)
	set := w.addProof(t, w.addProof(t, doc, w.key, w.key.ID, "urn:proof:issuer"), witness, vm, "urn:proof:witness")
	wantVerified(t, w.verifyCrypto(t, set))
	// The witness alone is not enough: the issuer's proof is required.
	wantRefused(t, w.verifyCrypto(t, w.addProof(t, doc, witness, vm, "urn:proof:witness")), verifier.CodeProofMissing)
}

func testDIProofChain(t *testing.T, w *world) {
	doc, _ := json.Marshal(w.plainCredential())
	witness, vm := newWitness(t)
	first := w.addProof(t, doc, w.key, w.key.ID, "urn:proof:1")
	wantVerified(t, w.verifyCrypto(t, w.addProof(t, first, witness, vm, "urn:proof:2", "urn:proof:1")))
	dangling := w.addProof(t, first, witness, vm, "urn:proof:2", "urn:proof:1")
	dangling = []byte(strings.Replace(string(dangling), `"previousProof":"urn:proof:1"`, `"previousProof":"urn:proof:9"`, 1))
	wantRefused(t, w.verifyCrypto(t, dangling), verifier.CodeProofChainInvalid)
}
