package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/idport/idport/pkg/buildinfo"
)

const versionUsage = `version prints the release version, the VCS commit and the Go version of this binary (the
labels of the idport_build_info metric every service exports):

  idport version
  idport version --json
`

// runVersion prints the build information of the binary.
func runVersion(_ context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseCommand(fs, args, env, versionUsage); err != nil {
		return err
	}
	info := buildinfo.Get()
	if *asJSON {
		b, err := json.Marshal(info)
		if err != nil {
			return fmt.Errorf("version: %w", err)
		}
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintf(env.Stdout, "idport %s\ncommit %s\ngo     %s\n", info.Version, info.Commit, info.GoVersion)
	return nil
}
