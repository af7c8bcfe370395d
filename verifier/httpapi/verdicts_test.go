package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestJSONStringIsOnlyACompactCredential: a Data Integrity credential sent
// as a JSON string (a string holding an object) is malformed, never
// verified as the object it contains.
func TestJSONStringIsOnlyACompactCredential(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	srv := newFixture(t, verifier.NewStaticTrust(4, is.Authority()), t.TempDir())
	di, err := vcld.SignCredential(ctx, testutil.Cred{Issuer: is.DID, From: testutil.Now.Add(-time.Hour), LD: true}.JSON(),
		vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: testutil.Now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	status, m := post(t, srv.URL+"/credentials/verify", "application/json", jsonBody(map[string]any{"verifiableCredential": string(di)}))
	if status != 400 || firstCode(m) != "malformed" {
		t.Fatalf("credential as a string holding an object: %d %v", status, m)
	}
	status, m = post(t, srv.URL+"/presentations/verify", "application/json", jsonBody(map[string]any{"verifiablePresentation": `{"type":["VerifiablePresentation"]}`}))
	if status != 400 || firstCode(m) != "malformed" {
		t.Fatalf("presentation as a string holding an object: %d %v", status, m)
	}
	// The object itself still verifies.
	status, m = post(t, srv.URL+"/credentials/verify", "application/json", []byte(`{"verifiableCredential":`+string(di)+`}`))
	if status != 200 {
		t.Fatalf("object: %d %v", status, m)
	}
}
