package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/buildinfo"
)

func TestVersionPrintsTheBuild(t *testing.T) {
	want := buildinfo.Get()
	env, out := testEnv(nil)
	if err := run(context.Background(), []string{"version"}, env); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"idport " + want.Version, "commit " + want.Commit, want.GoVersion} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("version output lacks %q:\n%s", s, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"version", "--json"}, env); err != nil {
		t.Fatal(err)
	}
	var got buildinfo.Info
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got != want {
		t.Fatalf("version --json: %+v (%v), want %+v", got, err, want)
	}
}
