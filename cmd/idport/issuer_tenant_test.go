package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// Tenants are created, listed and disabled offline; a tenant's API key is created with
// --tenant and listed only under it.
func TestIssuerTenantCommands(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeSecret(t, "a secret of enough bytes for sealing")
	ctx := context.Background()
	run1 := func(args ...string) (string, error) {
		t.Helper()
		env, out, _ := issuerTestEnv(nil)
		err := runIssuer(ctx, append(args, "--data", dir), env)
		return out.String(), err
	}
	if _, err := run1("tenant", "create", "--name", "sg-acra", "--types", "BusinessRegistration", "--display-name", "ACRA"); err != nil {
		t.Fatal(err)
	}
	if _, err := run1("tenant", "create", "--name", "sg-acra"); err == nil || !strings.Contains(err.Error(), "tenant exists") {
		t.Fatalf("second create: %v", err)
	}
	if _, err := run1("tenant", "create", "--name", "Bad/Name"); err == nil {
		t.Fatal("bad name accepted")
	}
	out, err := run1("apikey", "create", "--tenant", "sg-acra", "--scope", "*", "--key-secret-file", secretFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(lastLine(out), "idpi_") {
		t.Fatalf("no key printed: %s", out)
	}
	if _, err := run1("apikey", "create", "--tenant", "nope", "--scope", "*", "--key-secret-file", secretFile); err == nil || !strings.Contains(err.Error(), "tenant not found") {
		t.Fatalf("key for an unknown tenant: %v", err)
	}
	listed := func(args ...string) int {
		out, err := run1(append([]string{"apikey", "list", "--json", "--key-secret-file", secretFile}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var ks []json.RawMessage
		if err := json.Unmarshal([]byte(out), &ks); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return len(ks)
	}
	if n, m := listed("--tenant", "sg-acra"), listed(); n != 1 || m != 0 {
		t.Fatalf("tenant keys %d, default keys %d; want 1 and 0", n, m)
	}
	if _, err := run1("tenant", "disable", "--name", "sg-acra"); err != nil {
		t.Fatal(err)
	}
	out, err = run1("tenant", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ts []struct {
		Name     string
		Types    []string
		Disabled *string
	}
	if err := json.Unmarshal([]byte(out), &ts); err != nil || len(ts) != 1 || ts[0].Name != "sg-acra" || ts[0].Disabled == nil || ts[0].Types[0] != "BusinessRegistration" {
		t.Fatalf("list: %v %s", err, out)
	}
	out, err = run1("keys", "list", "--tenant", "sg-acra", "--base-url", "https://issuer.example", "--key-secret-file", secretFile)
	if err != nil || !strings.Contains(out, "did:web:issuer.example:tenants:sg-acra#") {
		t.Fatalf("tenant keys: %v %s", err, out)
	}
	newSecret := writeSecret(t, "another secret of enough bytes for sealing")
	out, err = run1("rotate-secret", "--old-secret-file", secretFile, "--new-secret-file", newSecret)
	if err != nil || !strings.Contains(out, "sealed 2 signing key(s)") {
		t.Fatalf("rotate-secret over the default issuer and the tenant: %v %s", err, out)
	}
}
