package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzIssueAndStatus feeds arbitrary bodies to the two authenticated endpoints: the answer
// is never a 5xx.
func FuzzIssueAndStatus(f *testing.F) {
	f.Add(`{"type":"BusinessRegistration","credentialSubject":{"uen":"1","legalName":"A","registeredAddress":"B","incorporationDate":"2020-01-01","entityType":"C"}}`, false)
	f.Add(`{"type":"PersonIdentity","credentialSubject":{"givenName":"A","familyName":"B","birthDate":"1990-01-01","nationality":"HK"},"format":"dc+sd-jwt","holderJwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}`, false)
	f.Add(`{"credential":{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{"id":"did:example:1"}},"options":{"format":"ldp_vc"}}`, false)
	f.Add(`{"credential":{"@context":["https://www.w3.org/2018/credentials/v1"],"type":"VerifiableCredential","issuanceDate":"2020-01-01T00:00:00Z","credentialSubject":{"a":1},"credentialStatus":{"type":"BitstringStatusListEntry"}}}`, false)
	f.Add(`{"credentialId":"urn:uuid:1","credentialStatus":[{"statusPurpose":"suspension","status":true}]}`, true)
	f.Add(`{"credentialId":"urn:uuid:1","action":"revoke"}`, true)
	srv, _, tok := newServer(f)
	f.Fuzz(func(t *testing.T, body string, status bool) {
		path := "/credentials/issue"
		if status {
			path = "/credentials/status"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		srv.Config.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
