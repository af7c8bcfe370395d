// Command sdk-in-20-lines tells story 6 of idport: a verifier developer imports the Go SDK,
// points it at a trust registry (its URL and the registry key pinned from a file), and verifies
// a credential in-process. The whole integration is verifyWithSDK below, about 20 lines; the
// rest of this file only builds a world for it to run in (a registry, a Singapore issuer and
// one credential on loopback).
//
//	go run ./examples/sdk-in-20-lines
//
// Offline, replace trustsource.Sync with trustsource.FromSnapshotFile(file, key): see the
// reciprocity example.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

// verifyWithSDK is everything a verifier developer writes.
func verifyWithSDK(ctx context.Context, registryURL, keyFile string, credential []byte) (*verifier.Result, error) {
	key, err := trustsource.ReadKeyFile(keyFile) // the registry's public JWK, obtained out of band
	if err != nil {
		return nil, err
	}
	// Status lists live on the issuer; loopback and plain HTTP are allowed for this demo only.
	lists, err := statuslist.NewFetcher(statuslist.FetcherOptions{Resolver: did.NewResolver(did.ResolverOptions{}),
		Net: did.NetOptions{AllowHosts: []string{"127.0.0.1"}, AllowHTTP: true}})
	if err != nil {
		return nil, err
	}
	// One call: follow the registry (verified, signed snapshots) until ctx ends.
	v, err := trustsource.NewVerifier(ctx, trustsource.SyncConfig{URL: registryURL, PinnedKey: key},
		verifier.Config{StatusFetcher: verifier.StatusLists(lists), Policy: verifier.Policy{LocalScheme: "cn-sh-lg.corporate"}})
	if err != nil {
		return nil, err
	}
	return v.VerifyCredential(ctx, credential)
}

func main() { stack.Main(run) }

func run(ctx context.Context, w io.Writer) error {
	t := &stack.Teller{W: w}
	t.Step("The world: a registry recognising a Singapore issuer, and one of its credentials")
	s, reg, sg, _, err := stack.NewDemoWorld(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	defer s.Close()
	cred, _, err := sg.Issue(ctx, demoseed.Type, "vc+jwt", map[string]any{"uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
		"registeredAddress": "1 Marina Boulevard", "incorporationDate": "2019-04-02", "entityType": "Private Company"}, nil)
	if err != nil {
		return err
	}
	keyFile := filepath.Join(s.Dir, "registry.jwk")
	if err := os.WriteFile(keyFile, reg.Key, 0o600); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	t.Say("registry %s (key in %s), credential of %d bytes", reg.URL, filepath.Base(keyFile), len(cred))

	t.Step("verifyWithSDK(ctx, registryURL, keyFile, credential)")
	sdkCtx, stopSDK := context.WithCancel(ctx) // ends the SDK's sync loop before the world stops
	defer stopSDK()
	res, err := verifyWithSDK(sdkCtx, reg.URL, keyFile, cred)
	if err != nil {
		return err
	}
	explained, _ := json.MarshalIndent(struct {
		Verified    bool                  `json:"verified"`
		Checks      []verifier.Check      `json:"checks"`
		Recognition *verifier.Recognition `json:"recognition"`
		Claims      map[string]any        `json:"claims"`
	}{res.Verified, res.Checks, res.Recognition, res.Claims}, "    ", "  ")
	t.Say("%s", explained)
	if !res.Verified || res.Recognition == nil {
		return stack.Unexpectedf("want verified, got errors %v", res.Errors)
	}
	t.Outcome("verified in-process: authority %s, registrationNumber=%v", res.Recognition.Authority, res.Claims["registrationNumber"])
	return nil
}
