package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// docker-compose.yml gives each container only the secrets it needs, and the services name
// their secrets where compose mounts them. (No Docker daemon here: the file is checked as YAML.)
func TestComposeSecretsPerService(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Secrets  map[string]struct{ File string } `yaml:"secrets"`
		Services map[string]struct {
			Command  []string `yaml:"command"`
			Secrets  []string `yaml:"secrets"`
			Volumes  []string `yaml:"volumes"`
			Profiles []string `yaml:"profiles"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"registry":  {"registry_key_secret"},
		"issuer":    {"issuer_key_secret"},
		"verifier":  {"registry_public_key"},
		"admin":     {"alice_token", "bob_token", "carol_token", "root_token"},
		"bootstrap": nil,
	}
	for name, secrets := range want {
		svc, ok := doc.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		if !reflect.DeepEqual(svc.Secrets, secrets) {
			t.Errorf("%s mounts secrets %v, want %v", name, svc.Secrets, secrets)
		}
		for _, s := range svc.Secrets {
			if doc.Secrets[s].File == "" {
				t.Errorf("%s: secret %s is not declared with a file", name, s)
			}
		}
		for _, v := range svc.Volumes {
			if strings.Contains(v, "secrets") && name != "bootstrap" {
				t.Errorf("%s mounts the secrets folder: %s", name, v)
			}
		}
	}
	for _, name := range []string{"issuer", "verifier"} {
		for _, s := range doc.Services[name].Secrets {
			if strings.HasSuffix(s, "_token") {
				t.Errorf("%s gets the regulator token %s", name, s)
			}
		}
	}
	// Every secret a service names on its command line is one it mounts.
	for name, svc := range doc.Services {
		for _, arg := range svc.Command {
			if i := strings.Index(arg, "/run/secrets/"); i >= 0 {
				if s := arg[i+len("/run/secrets/"):]; !slices.Contains(svc.Secrets, s) {
					t.Errorf("%s uses %s without mounting it", name, s)
				}
			}
		}
	}
	if !slices.Contains(doc.Services["bootstrap"].Profiles, "setup") {
		t.Error("bootstrap must not run on 'docker compose up'")
	}
}
