package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
)

// runIssuerTenant runs `idport issuer tenant create|list|disable` on the data directory.
func runIssuerTenant(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "disable") {
		fmt.Fprint(env.Stderr, issuerUsage)
		return errors.New("issuer tenant: want create, list or disable")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("issuer tenant "+cmd, flag.ContinueOnError)
	data := fs.String("data", "./data/issuer", "data directory (holds issuer.db); the service must be stopped")
	var name, display, types string
	var jsonOut bool
	if cmd != "list" {
		fs.StringVar(&name, "name", "", "tenant name: lower-case letters, digits and dashes (it appears in the tenant's URLs and DID)")
	}
	if cmd == "create" {
		fs.StringVar(&display, "display-name", "", "label for operators")
		fs.StringVar(&types, "types", "", "comma-separated credential types the tenant issues (default: every configured type)")
	}
	fs.BoolVar(&jsonOut, "json", false, "print JSON")
	if err := parseFlags(fs, args[1:], env); err != nil {
		return err
	}
	if cmd != "list" && name == "" {
		return fmt.Errorf("issuer tenant %s: --name is required", cmd)
	}
	st, err := boltstore.Open(filepath.Join(*data, boltstore.DBFile), boltstore.Options{})
	if err != nil {
		return fmt.Errorf("issuer tenant %s: %w", cmd, err)
	}
	defer st.Close()
	var recs []issuer.TenantRecord
	switch cmd {
	case "create":
		rec, err := issuer.CreateTenant(ctx, st, issuer.TenantRecord{Name: name, DisplayName: display, Types: splitList(types)}, time.Now())
		if err != nil {
			return fmt.Errorf("issuer tenant create: %w", err)
		}
		recs = append(recs, rec)
	case "disable":
		rec, err := issuer.DisableTenant(ctx, st, name, time.Now())
		if err != nil {
			return fmt.Errorf("issuer tenant disable: %w", err)
		}
		recs = append(recs, rec)
	default:
		if recs, err = issuer.ListTenants(ctx, st); err != nil {
			return fmt.Errorf("issuer tenant list: %w", err)
		}
	}
	return printTenants(env, recs, jsonOut)
}

func printTenants(env Env, recs []issuer.TenantRecord, jsonOut bool) error {
	return printer{env: env, json: jsonOut}.print(recs, func(tw io.Writer) {
		fmt.Fprintln(tw, "NAME\tDISPLAY NAME\tTYPES\tCREATED\tSTATE\tPATH")
		for _, r := range recs {
			state, types := "active", strings.Join(r.Types, ",")
			if r.Disabled != nil {
				state = "disabled " + r.Disabled.Format(time.RFC3339)
			}
			if types == "" {
				types = "*"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.DisplayName, types, r.Created.Format(time.RFC3339), state, strings.TrimSuffix(issuer.TenantPathPrefix, "/")+"/"+r.Name)
		}
	})
}
