package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestAnswerOfCraftedCredentials: signed credentials whose claims and times
// are chosen to trip the hand-written answer encoder (HTML, U+2028, quotes
// and control characters, invalid UTF-8, extreme and negative-zero numbers,
// names that sort oddly, a validUntil in the last instant of year 9999 an
// offset away from year 10000) are answered over HTTP with the bytes
// json.Marshal(Render(res)) gives for the same verification through the SDK.
func TestAnswerOfCraftedCredentials(t *testing.T) {
	f := setup(t)
	v, err := verifier.New(verifier.Config{TrustSource: f.trust, Clock: testutil.Clock,
		StatusFetcher: &testutil.Status{Values: map[string]uint8{"https://status.example/list/1#9": 1}}})
	if err != nil {
		t.Fatal(err)
	}
	subjects := []string{
		`{"id":"did:example:acme","uen":"</script><script>alert(1)</script>","legalName":"a\u2028b\u2029c \"q\" \\ \u0001 & <>"}`,
		`{"id":"did:example:acme","uen":"x","legalName":[1e308,-0,1e-7,1e21,12345678901234567890,-1.5e-300,0.1],"resident":-0.0}`,
		`{"id":"did:example:acme","uen":"x","given_name":{"Z":1,"_":2,"é":3,"":5,"b":[1,{"a":null}],"a":true,"\u2028":"<"}}`,
		"{\"id\":\"did:example:acme\",\"uen\":\"a\xffb\xc3\"}",
	}
	for _, until := range []string{"9999-12-31T23:59:59.999999999-23:59", "2027-01-01T00:00:00+14:00"} {
		for _, sub := range subjects {
			payload := []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","BusinessRegistration"],"issuer":"` +
				f.issuer.DID + `","validFrom":"2026-01-01T00:00:00Z","validUntil":"` + until + `","credentialSubject":` + sub + `}`)
			cred := f.issuer.JOSE(t, payload)
			res, err := v.VerifyCredential(context.Background(), []byte(`"`+cred+`"`))
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(httpapi.Render(res))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post(f.srv.URL+"/credentials/verify", "application/json", bytes.NewReader(jsonBody(map[string]any{"verifiableCredential": cred})))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, want) {
				t.Errorf("validUntil %s, subject %q:\n got %s\nwant %s", until, sub, got, want)
			}
		}
	}
}
