package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
)

// scopes collects repeated --scope flags.
type scopes []string

func (s *scopes) String() string     { return strings.Join(*s, ",") }
func (s *scopes) Set(v string) error { *s = append(*s, v); return nil }

// runIssuerAPIKey runs `idport issuer apikey create|list|revoke|rotate`.
func runIssuerAPIKey(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, issuerUsage)
		return errors.New("issuer apikey: want create, list, revoke or rotate")
	}
	switch args[0] {
	case "create":
		return runAPIKeyCreate(ctx, args[1:], env)
	case "list":
		return runAPIKeyList(ctx, args[1:], env)
	case "revoke", "rotate":
		return runAPIKeyChange(ctx, args[0], args[1:], env)
	}
	fmt.Fprint(env.Stderr, issuerUsage)
	return fmt.Errorf("issuer apikey: unknown command %q (want create, list, revoke or rotate)", args[0])
}

func runAPIKeyCreate(ctx context.Context, args []string, env Env) error {
	var sc scopes
	var name string
	var ttl time.Duration
	is, closeIssuer, err := openIssuerForToolWith(ctx, args, env, "apikey create", func(fs *flag.FlagSet) {
		fs.Var(&sc, "scope", "credential type the key may issue (repeatable; * for all; admin for backups and status changes of any credential, not included in *)")
		fs.StringVar(&name, "name", "", "label for operators")
		fs.DurationVar(&ttl, "ttl", issuer.DefaultAPIKeyTTL, "how long the key authenticates")
	}, func(cfg *issuer.Config) { cfg.APIKeyTTL = ttl })
	if err != nil {
		return err
	}
	defer closeIssuer()
	tok, err := is.CreateAPIKey(ctx, name, sc)
	if err != nil {
		return fmt.Errorf("issuer apikey create: %w", err)
	}
	fmt.Fprintf(env.Stdout, "API key for scopes %s, valid for %s (shown once; only its hash is stored):\n%s\n", sc.String(), ttl, tok)
	return nil
}

func runAPIKeyList(ctx context.Context, args []string, env Env) error {
	var jsonOut bool
	is, closeIssuer, err := openIssuerForTool(ctx, args, env, "apikey list", func(fs *flag.FlagSet) {
		fs.BoolVar(&jsonOut, "json", false, "print JSON")
	})
	if err != nil {
		return err
	}
	defer closeIssuer()
	ks := is.APIKeys()
	return printer{env: env, json: jsonOut}.print(ks, func(tw io.Writer) {
		fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tPRINCIPAL\tEXPIRES\tSTATE")
		for _, k := range ks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(k.Scopes, ","), k.Principal, k.Expires.Format(time.RFC3339), k.State)
		}
	})
}

func runAPIKeyChange(ctx context.Context, cmd string, args []string, env Env) error {
	var id string
	is, closeIssuer, err := openIssuerForTool(ctx, args, env, "apikey "+cmd, func(fs *flag.FlagSet) {
		fs.StringVar(&id, "id", "", "id of the API key (its first characters, as apikey list shows)")
	})
	if err != nil {
		return err
	}
	defer closeIssuer()
	if id == "" {
		return fmt.Errorf("issuer apikey %s: --id is required", cmd)
	}
	if cmd == "revoke" {
		if err := is.RevokeAPIKey(ctx, id); err != nil {
			return fmt.Errorf("issuer apikey revoke: %w", err)
		}
		fmt.Fprintf(env.Stdout, "API key %s revoked\n", id)
		return nil
	}
	tok, info, err := is.RotateAPIKey(ctx, id)
	if err != nil {
		return fmt.Errorf("issuer apikey rotate: %w", err)
	}
	fmt.Fprintf(env.Stdout, "API key %s replaces %s (revoked), valid until %s (shown once; only its hash is stored):\n%s\n",
		info.ID, id, info.Expires.Format(time.RFC3339), tok)
	return nil
}

// runIssuerRotateSecret seals the signing keys in --data again under a new key-sealing secret.
func runIssuerRotateSecret(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("issuer rotate-secret", flag.ContinueOnError)
	data := fs.String("data", "./data/issuer", "data directory (holds issuer.db); the service must be stopped")
	oldFile := fs.String("old-secret-file", "", "file holding the current key-sealing secret")
	newFile := fs.String("new-secret-file", "", "file holding the new key-sealing secret (32 bytes or more of randomness)")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if *oldFile == "" || *newFile == "" {
		return errors.New("issuer rotate-secret: --old-secret-file and --new-secret-file are required")
	}
	oldSecret, err := readSecretFile(*oldFile)
	if err != nil {
		return fmt.Errorf("issuer rotate-secret: --old-secret-file: %w", err)
	}
	newSecret, err := readSecretFile(*newFile)
	if err != nil {
		return fmt.Errorf("issuer rotate-secret: --new-secret-file: %w", err)
	}
	st, err := boltstore.Open(filepath.Join(*data, boltstore.DBFile), boltstore.Options{})
	if err != nil {
		return fmt.Errorf("issuer rotate-secret: %w", err)
	}
	defer st.Close()
	n, err := issuer.RotateSecret(ctx, st, oldSecret, newSecret)
	if err != nil {
		return fmt.Errorf("issuer rotate-secret: %w", err)
	}
	fmt.Fprintf(env.Stdout, "sealed %d signing key(s) under the new secret; start the issuer with --key-secret-file %s\n", n, *newFile)
	return nil
}

// readSecretFile reads a secret file, without surrounding white space.
func readSecretFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return []byte(strings.TrimSpace(string(b))), nil
}
