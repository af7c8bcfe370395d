package httpapi_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/idport/idport/verifier/internal/testutil"
)

// TestOutcomeLabelsStayClosed: requests shaped to mint metric series (their
// own media types, typ, alg, credential types and status codes, each with a
// marker of the caller's choosing) are counted under the verifier's own
// kinds, formats and codes only: the counters, and the children they keep by
// label values, grow no further than those closed sets.
func TestOutcomeLabelsStayClosed(t *testing.T) {
	f := setup(t)
	enc := base64.RawURLEncoding
	for i := range 20 {
		marker := fmt.Sprintf("zzattacker%d", i)
		jws := func(header string) string {
			return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(`{"iss":"`+marker+`"}`)) + ".c2ln"
		}
		signedOther := f.issuer.JOSE(t, testutil.Cred{Issuer: f.issuer.DID, From: testutil.Now}.JSON())
		bodies := [][]byte{
			[]byte(`{"verifiableCredential":{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"data:application/` + marker + `,a.b.c","type":"EnvelopedVerifiableCredential"}}`),
			[]byte(`{"verifiableCredential":{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","` + marker + `"],"issuer":"did:example:` + marker + `","credentialSubject":{"a":1},"proof":{"type":"` + marker + `"}}}`),
			jsonBody(map[string]any{"verifiableCredential": jws(`{"alg":"` + marker + `","typ":"vc+jwt"}`)}),
			jsonBody(map[string]any{"verifiableCredential": jws(`{"alg":"EdDSA","typ":"` + marker + `"}`)}),
			jsonBody(map[string]any{"verifiableCredential": jws(`{"alg":"EdDSA","typ":"dc+sd-jwt"}`) + "~" + marker + "~"}),
			jsonBody(map[string]any{"verifiableCredential": strings.Replace(signedOther, ".", "."+marker, 1)}),
		}
		for _, b := range bodies {
			if status, m := post(t, f.srv.URL+"/credentials/verify", "application/json", b); status != http.StatusBadRequest || m["verified"] != false {
				t.Fatalf("%s: %d %v", b, status, m)
			}
		}
		if status, _ := post(t, f.srv.URL+"/presentations/verify", "application/json", jsonBody(map[string]any{
			"verifiablePresentation": jws(`{"alg":"EdDSA","typ":"` + marker + `"}`), "options": map[string]any{"challenge": marker}})); status < 400 {
			t.Fatalf("presentation %s: %d", marker, status)
		}
	}
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	series := regexp.MustCompile(`(?m)^idport_verifier_verifications_total\{format="([^"]*)",kind="([^"]*)",outcome="([^"]*)"\} `).FindAllStringSubmatch(string(metrics), -1)
	if len(series) == 0 {
		t.Fatalf("no verifications counted:\n%s", metrics)
	}
	word := regexp.MustCompile(`^[a-z0-9_+]*$`)
	for _, s := range series {
		if strings.Contains(s[0], "zzattacker") || !word.MatchString(s[1]) || !word.MatchString(s[2]) || !word.MatchString(s[3]) {
			t.Errorf("a series labelled from the request: %s", s[0])
		}
	}
	if len(series) > 12 {
		t.Errorf("%d series from 140 requests of six shapes and two kinds:\n%s", len(series), metrics)
	}
}
