// Command reciprocity tells story 5 of idport: Lingang's registry exports a signed snapshot of
// its state to a file; a Singapore verifier with NO network access to that registry pins the
// registry's key (obtained out of band), loads the file, and verifies a Lingang-issued
// credential from it. A snapshot altered on the way is refused.
//
//	go run ./examples/reciprocity
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

func main() { stack.Main(run) }

var singapore = stack.Side{Jurisdiction: "SG", JurisdictionName: "Singapore", Scheme: "sg.corporate", SchemeName: "Singapore corporate identity"}

func run(ctx context.Context, w io.Writer) error {
	t := &stack.Teller{W: w}
	s, reg, lg, err := stack.NewWorld(ctx, "lingang-issuer")
	if err != nil {
		return err
	}
	defer s.Close()

	t.Step("Lingang's registry records the reciprocal side of the MoU: Singapore recognises Lingang's authority")
	rec := stack.Recognition{Local: singapore, Foreign: stack.Lingang,
		AuthorityID: "lg-admin-bureau", AuthorityName: "Lingang administration bureau (example)", DID: lg.DID,
		Types: []string{"BusinessRegistration"}, ClaimMapping: map[string]string{"uen": "uen", "legalName": "entityName"},
		Agreement: "sg-cn-sh-lg-dea", Effective: time.Now().Add(-time.Hour)}
	version, err := rec.Apply(ctx, reg, "reciprocity under the SG - Lingang digital economy MoU")
	if err != nil {
		return err
	}
	t.Say("registry version %d: %s recognises %s for BusinessRegistration", version, singapore.Scheme, stack.Lingang.Scheme)

	t.Step("Lingang exports its signed snapshot and hands over its public key out of band")
	dir := filepath.Join(s.Dir, "singapore-verifier")
	snapFile, keyFile := filepath.Join(dir, "lingang-registry.jws"), filepath.Join(dir, "lingang-registry.jwk")
	if err := download(ctx, reg.URL+"/v1/snapshot", snapFile); err != nil {
		return err
	}
	if err := download(ctx, reg.URL+"/v1/snapshot/key", keyFile); err != nil {
		return err
	}
	t.Say("GET /v1/snapshot -> %s; GET /v1/snapshot/key -> %s", filepath.Base(snapFile), filepath.Base(keyFile))

	t.Step("A Lingang company gets a credential; then the registry goes out of reach")
	cred, _, err := lg.Issue(ctx, "BusinessRegistration", "vc+jwt", map[string]any{"uen": "91310000MA1FL0001X",
		"legalName": "Lingang Robotics Co., Ltd.", "registeredAddress": "Lingang New Area, Shanghai",
		"incorporationDate": "2020-08-20", "entityType": "Limited liability company"}, nil)
	if err != nil {
		return err
	}
	reg.Stop()
	if _, _, err := stack.Call(ctx, http.MethodGet, reg.URL+"/v1/registry", "", nil, nil, http.StatusOK); err == nil {
		return stack.Unexpectedf("the registry is still reachable")
	}
	t.Say("GET %s/v1/registry now fails: the verifier below cannot reach the registry", reg.URL)

	t.Step("The Singapore verifier pins the key, loads the file and verifies (Go SDK, in-process)")
	key, err := trustsource.ReadKeyFile(keyFile)
	if err != nil {
		return err
	}
	src, err := trustsource.FromSnapshotFile(snapFile, key)
	if err != nil {
		return err
	}
	sf, err := s.NewStatusFetcher(time.Minute)
	if err != nil {
		return err
	}
	v, err := verifier.New(verifier.Config{TrustSource: src, StatusFetcher: sf, Policy: verifier.Policy{LocalScheme: singapore.Scheme}, Logger: s.Logger})
	if err != nil {
		return err
	}
	res, err := v.VerifyCredential(ctx, cred)
	if err != nil {
		return err
	}
	if !res.Verified || res.Recognition == nil {
		return stack.Unexpectedf("want the Lingang credential verified abroad, got %v %v", res.Verified, res.Errors)
	}
	t.Say("grounds: authority %s, scheme %s (%s), agreement %s, registry version %d; entityName=%v",
		res.Recognition.Authority, res.Recognition.Scheme, res.Recognition.Jurisdiction, res.Recognition.Agreement,
		res.Recognition.RegistryVersion, res.Claims["entityName"])
	t.Outcome("verified abroad from the snapshot file: issuer %s recognised by %s", res.Recognition.Authority, singapore.Scheme)

	t.Step("A snapshot file altered on the way does not load")
	b, err := os.ReadFile(snapFile)
	if err != nil {
		return err
	}
	b[len(b)/2] ^= 0x01
	bad := filepath.Join(dir, "altered.jws")
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		return err
	}
	if _, err := trustsource.FromSnapshotFile(bad, key); err == nil {
		return stack.Unexpectedf("an altered snapshot was accepted")
	} else {
		t.Say("%v", err)
	}
	t.Outcome("altered snapshot refused")
	return nil
}

// download saves the body of a GET to path.
func download(ctx context.Context, url, path string) error {
	var b []byte
	if _, _, err := stack.Call(ctx, http.MethodGet, url, "", nil, &b, http.StatusOK); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	return nil
}
