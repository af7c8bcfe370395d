// Command idport runs the idport services: the trust registry, the issuer and the verifier, each
// as its own HTTP server with its own data directory, plus the regulators' admin tool and a demo
// that tells the whole Singapore -> Lingang story.
//
//	idport registry --addr 127.0.0.1:8441 --data ./data/registry
//	idport issuer   --addr 127.0.0.1:8442 --data ./data/issuer --registry http://127.0.0.1:8441
//	idport verifier --addr 127.0.0.1:8443 --data ./data/verifier --registry http://127.0.0.1:8441 --registry-key registry.jwk
//	idport admin bootstrap --data ./data/registry --account alice --role proposer
//	idport demo
//	idport version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"

	"github.com/idport/idport/internal/gctune"
)

func main() { os.Exit(idportMain(os.Args[1:])) }

// idportMain is the process's life as idport: the garbage collector's targets (internal/gctune),
// then the command args names; it returns the exit code. Tests run it in subprocesses.
func idportMain(args []string) int {
	gctune.Apply(os.Getenv)
	return exitCode(runMain(args))
}

// Env is what a subcommand may take from its surroundings: output streams, environment
// variables and the logger. Tests pass their own.
type Env struct {
	Stdout, Stderr io.Writer
	// Lookup reads an environment variable (os.LookupEnv in the binary).
	Lookup func(key string) (string, bool)
	// Logger is the JSON logger services log to.
	Logger *slog.Logger
}

func osEnv() Env {
	return Env{Stdout: os.Stdout, Stderr: os.Stderr, Lookup: os.LookupEnv,
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(os.Getenv("IDPORT_LOG_LEVEL"))}))}
}

func runMain(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, osEnv())
}

// errUsage marks an error whose message is already the help text.
var errUsage = errors.New("usage")

type command struct {
	summary string
	run     func(ctx context.Context, args []string, env Env) error
}

func commands() map[string]command {
	return map[string]command{
		"registry": {"run the trust registry service (public queries, snapshots, regulator admin API)", runRegistry},
		"issuer":   {"run the issuer service, or manage its keys and API keys", runIssuer},
		"verifier": {"run the verifier service", runVerifier},
		"admin":    {"regulator tools: bootstrap accounts, proposals, audit", runAdmin},
		"demo":     {"start all three services and tell the Singapore -> Lingang story", runDemo},
		"probe":    {"check a service's /healthz or /readyz (container health checks)", runProbe},
		"version":  {"print the version, commit and Go version of this binary", runVersion},
	}
}

// run dispatches to a subcommand. It is main without the process: tests call it directly.
func run(ctx context.Context, args []string, env Env) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stdout, usage(cmds))
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(env.Stderr, usage(cmds))
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd.run(ctx, args[1:], env)
}

func usage(cmds map[string]command) string {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("idport: cross-border mutual recognition of digital identity with W3C verifiable credentials\n\nUsage: idport <command> [flags]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-9s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nRun 'idport <command> --help' for its flags. Every flag can also be set as IDPORT_<FLAG>\n(upper case, dashes as underscores), e.g. IDPORT_DATA=/var/lib/idport, or in a YAML file named by\n--config. The command line wins over the environment, which wins over the file.\n")
	return b.String()
}

// parseFlags parses args into fs, then fills every flag not given on the command line from its
// IDPORT_* environment variable (--registry-key <- IDPORT_REGISTRY_KEY), then from the YAML file
// named by --config (IDPORT_CONFIG), keyed by flag name. The command line wins over the
// environment, which wins over the file. --help prints the flags with their variables and
// returns errUsage.
func parseFlags(fs *flag.FlagSet, args []string, env Env) error {
	if fs.Lookup("config") == nil {
		fs.String("config", "", "YAML file of flag values keyed by flag name (registry-key: /etc/idport/registry.jwk)")
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, flagHelp(fs))
			return errUsage
		}
		return fmt.Errorf("%w\n\n%s", err, flagHelp(fs))
	}
	if err := bindEnv(fs, env); err != nil {
		return err
	}
	return bindConfigFile(fs)
}

// parseCommand is parseFlags for a command that takes no positional arguments: --help prints
// the flags followed by usage (the command's own text), and a stray argument is an error.
func parseCommand(fs *flag.FlagSet, args []string, env Env, usage string) error {
	if err := parseFlags(fs, args, env); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(env.Stdout, "\n"+usage)
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q\n\n%s", fs.Name(), fs.Arg(0), usage)
	}
	return nil
}

// bindConfigFile sets each flag still unset from the YAML file named by the config flag.
func bindConfigFile(fs *flag.FlagSet) error {
	path := fs.Lookup("config").Value.String()
	if path == "" {
		return nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	for name, v := range values {
		f := fs.Lookup(name)
		switch {
		case f == nil:
			errs = append(errs, fmt.Errorf("config file %s: unknown setting %q for idport %s", path, name, fs.Name()))
		case set[name]:
			// given on the command line or in the environment
		default:
			if err := fs.Set(name, fmt.Sprint(v)); err != nil {
				errs = append(errs, fmt.Errorf("config file %s: %s: %w", path, name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// bindEnv sets each flag that was not given on the command line from its environment variable.
func bindEnv(fs *flag.FlagSet, env Env) error {
	if env.Lookup == nil {
		return nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		if v, ok := env.Lookup(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("environment %s=%q: %w", envName(f.Name), v, err))
			}
		}
	})
	return errors.Join(errs...)
}

func envName(flagName string) string {
	return "IDPORT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func flagHelp(fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: idport %s [flags]\n\nFlags:\n", fs.Name())
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && f.DefValue != "false" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(&b, "  --%s\n      %s%s [%s]\n", f.Name, f.Usage, def, envName(f.Name))
	})
	return b.String()
}

func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, errUsage):
		return 0
	case errors.Is(err, context.Canceled):
		return 0
	}
	fmt.Fprintln(os.Stderr, "idport:", err)
	return 1
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
