package main

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/storeconfig"
)

// adminCommand is one 'idport admin' subcommand: its synopsis for the usage text, the flags
// it takes beyond the shared ones, its number of positional arguments, and a small function
// calling one typed adminclient method (or, offline, the store).
type adminCommand struct {
	name     string
	synopsis string // usage line over the admin API ("" if none)
	offline  string // usage line of the offline form ("" if none)
	args     int
	flags    func(fs *flag.FlagSet, o *adminOpts)
	run      func(ctx context.Context, x *adminRun, pos []string) error
}

// adminCommands is the table of admin subcommands, in usage order.
func adminCommands() []adminCommand {
	return []adminCommand{
		{name: "rotate-secret", offline: "--data DIR --old-secret-file FILE --new-secret-file FILE   reseal the registry's keys under a new key secret (registry stopped)",
			flags: rotateSecretFlags, run: adminRotateSecret},
		{name: "bootstrap", offline: "--data DIR --account NAME --role ROLE[,ROLE] [--key-secret-file FILE]   create an account; prints its token last",
			flags: bootstrapFlags, run: adminBootstrap},
		{name: "whoami", run: adminWhoami},
		{name: "proposals", synopsis: "[--status pending|applied|rejected|expired|withdrawn|stale]  list proposals", flags: statusFlag, run: adminProposals},
		{name: "proposals show", synopsis: "ID                                        one proposal with its change set", args: 1, run: adminShow},
		{name: "propose", synopsis: "--file PROPOSAL.json [--reason TEXT] [--ttl 48h]  propose a change set (the file is the API body)", flags: proposeFlags, run: adminPropose},
		{name: "approve", synopsis: "ID [--comment TEXT]                              approve (applies at quorum)", args: 1, flags: commentFlag, run: adminApprove},
		{name: "reject", synopsis: "ID --reason TEXT                                  reject, or withdraw one's own", args: 1, flags: reasonFlag, run: adminReject},
		{name: "suspend", synopsis: "--authority ID --reason TEXT [--effective RFC3339]    propose a suspension (back-dating allowed)",
			flags: statusChangeFlags, run: adminStatusChange(trustregistry.SuspendAuthority)},
		{name: "reinstate", synopsis: "--authority ID --reason TEXT [--effective RFC3339]  propose a reinstatement",
			flags: statusChangeFlags, run: adminStatusChange(trustregistry.ReinstateAuthority)},
		{name: "history", synopsis: "KIND ID                                          revisions of an object (authority, scheme, ...)", args: 2, run: adminHistory},
		{name: "audit export", synopsis: "                                            the whole audit log (JSON lines)", run: adminAuditExport},
		{name: "audit verify", offline: "--data DIR [--registry-key FILE]            check chain, state and signed checkpoint in the file",
			synopsis: "                                            ask the registry to check its audit chain", flags: dataFlag, run: adminAuditVerify},
		{name: "checkpoint verify", offline: "--registry-key FILE --snapshot FILE   check a snapshot's state against its signed checkpoint",
			flags: checkpointFlags, run: adminCheckpointVerify},
		{name: "token new", offline: "[--enrolment FILE]                             a fresh token for yourself: prints its id and fingerprint, the token last",
			flags: tokenNewFlags, run: adminTokenNew},
		{name: "token list", synopsis: "                                              tokens (id, created, expires, last used; never secrets)", run: adminTokenList},
		{name: "token revoke", synopsis: "[--name NAME --reason TEXT]                 revoke your own token (or propose revoking another's)",
			flags: nameReasonFlags, run: adminTokenRevoke},
		{name: "account list", synopsis: "                                            (admin or auditor role) the accounts", run: adminAccountList},
		{name: "account create", synopsis: "--name NAME --role ROLE[,ROLE] --enrolment FILE --reason TEXT   (admin) propose a new account",
			flags: accountFlags, run: adminAccountCreate},
		{name: "account roles", synopsis: "--name NAME --role ROLE[,ROLE] --reason TEXT    (admin) propose new roles for an account",
			flags: accountFlags, run: adminAccountRoles},
		{name: "account disable", synopsis: "--name NAME --reason TEXT                (admin) propose disabling an account", flags: nameReasonFlags, run: adminAccountDisable},
		{name: "account reset-token", synopsis: "--name NAME --enrolment FILE --reason TEXT   (admin) propose enrolling an owner's new token",
			flags: accountFlags, run: adminAccountResetToken},
		{name: "account reset-passkeys", synopsis: "--name NAME --reason TEXT          (admin) propose removing a lost passkey: all of an account's passkeys",
			flags: nameReasonFlags, run: adminAccountResetPasskeys},
		{name: "account rotate-token", synopsis: "                                    replace your own token; prints the new one last", run: adminRotateToken},
		{name: "rotate-key", synopsis: "--reason TEXT                                 (admin) propose a new registry key", flags: reasonFlag, run: adminRotateKey},
		{name: "policy show", synopsis: "                                             the governance policy in force", run: adminPolicyShow},
		{name: "policy set", synopsis: "[--quorum N] [--cooling-off D] [--token-ttl D] --reason TEXT   (admin) propose a policy",
			flags: policyFlags, run: adminPolicySet},
		{name: "import federation", synopsis: "--entity URL --trust-anchor URL --anchor-jwks FILE [--trust-mark TYPE] --scheme ID --reason TEXT   propose an authority from a federation chain",
			flags: importFlags, run: adminImportFederation},
		{name: "import did", synopsis: "--did DID --scheme ID --reason TEXT              propose an authority from a DID document", flags: importFlags, run: adminImportDID},
		{name: "import dns-did", synopsis: "--domain NAME --scheme ID --reason TEXT      propose an authority from DNS-DID TXT records", flags: importFlags, run: adminImportDNSDID},
		{name: "recheck", synopsis: "[--reason TEXT]                                  re-check imported keys at their sources; proposes what changed", flags: reasonFlag, run: adminRecheck},
		{name: "import trusted-list", synopsis: "--file TL.xml --signer-cert PINNED.pem --scheme ID --credential-type T --reason TEXT [--service-type URI] [--tsp NAME] [--assurance L]   propose a verified ETSI trusted list's services as authorities",
			flags: trustedListImportFlags, run: adminImportTrustedList},
		{name: "backup", synopsis: "--out FILE                                        (auditor or admin role) online backup of registry.db, checked",
			flags: outFlag, run: adminBackup},
	}
}

// adminUsage is the usage text of 'idport admin', built from the command table.
func adminUsage() string {
	var b strings.Builder
	b.WriteString("Usage: idport admin <command> [flags] [args]\n\nOffline (the registry must not be running on that data directory):\n")
	for _, c := range adminCommands() {
		if c.offline != "" {
			fmt.Fprintf(&b, "  %s %s\n", c.name, c.offline)
		}
	}
	b.WriteString("\nOver the admin API (--registry URL, --token TOKEN or --token-file FILE):\n")
	for _, c := range adminCommands() {
		if c.synopsis != "" || c.offline == "" {
			fmt.Fprintf(&b, "  %s\n", strings.TrimRight(c.name+" "+c.synopsis, " "))
		}
	}
	b.WriteString("\nEvery command takes --json for machine-readable output. Roles: proposer, approver, auditor, admin.\n")
	return b.String()
}

// adminOpts are the flag values of the admin commands; each command registers what it uses.
type adminOpts struct {
	registry, token, tokenFile, data                string
	cert, key, cacert                               string
	status, file, reason, ttl, comment              string
	authority, effective, name, roles, out, account string
	enrolment, coolingOff, tokenTTL                 string
	registryKey, snapshot, keySecretFile            string
	oldSecretFile, newSecretFile                    string
	quorum                                          int
	imp                                             importOpts
	tl                                              tlImportOpts
	jsonOut                                         bool
	store                                           storeFlags
}

func (o *adminOpts) api(fs *flag.FlagSet) {
	fs.StringVar(&o.registry, "registry", "http://127.0.0.1:8441", "registry base URL")
	fs.StringVar(&o.token, "token", "", "bearer token of your account")
	fs.StringVar(&o.tokenFile, "token-file", "", "file holding the bearer token")
	fs.StringVar(&o.cert, "cert", "", "client certificate (PEM) to log in with mTLS")
	fs.StringVar(&o.key, "key", "", "private key (PEM) of --cert")
	fs.StringVar(&o.cacert, "cacert", "", "CA certificate(s) (PEM) to trust for the registry's TLS certificate")
}

func bootstrapFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.data, "data", "./data/registry", "registry data directory")
	fs.StringVar(&o.account, "account", "", "account name")
	fs.StringVar(&o.roles, "role", "", "role(s): proposer, approver, auditor, admin (comma-separated)")
	fs.StringVar(&o.keySecretFile, "key-secret-file", "", "the registry's key secret file: signs the audit record (needed once the registry has started)")
	o.store.register(fs)
}

func rotateSecretFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.data, "data", "./data/registry", "registry data directory")
	fs.StringVar(&o.oldSecretFile, "old-secret-file", "", "the key secret the registry's keys are sealed with now")
	fs.StringVar(&o.newSecretFile, "new-secret-file", "", "the new key secret (32 bytes or more of randomness)")
	o.store.register(fs)
}

func dataFlag(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.data, "data", "", "verify the file in this data directory offline instead of asking the registry")
	fs.StringVar(&o.registryKey, "registry-key", "", "offline: the registry's public JWK, to check the signed checkpoint too")
}

func checkpointFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.registryKey, "registry-key", "", "the registry's public JWK (GET /v1/snapshot/key)")
	fs.StringVar(&o.snapshot, "snapshot", "", "a signed snapshot (GET /v1/snapshot)")
}

func statusFlag(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.status, "status", "", "only proposals in this status")
}

func proposeFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.file, "file", "", "proposal JSON file, the API body ({\"ops\": [...], \"reason\": ..., \"ttl\": ...}); - for stdin")
	fs.StringVar(&o.reason, "reason", "", "why (recorded in the audit log; sets the file's reason)")
	fs.StringVar(&o.ttl, "ttl", "", "time to wait for approval (default: the file's, else the registry's)")
}

func commentFlag(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.comment, "comment", "", "comment recorded with the approval")
}

func reasonFlag(fs *flag.FlagSet, o *adminOpts) { fs.StringVar(&o.reason, "reason", "", "why") }

func statusChangeFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.authority, "authority", "", "authority id")
	fs.StringVar(&o.reason, "reason", "", "why (recorded in the audit log)")
	fs.StringVar(&o.effective, "effective", "", "when it takes effect (RFC 3339; default now; may be in the past)")
}

func accountFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.name, "name", "", "account name")
	fs.StringVar(&o.roles, "role", "", "role(s), comma-separated")
	fs.StringVar(&o.enrolment, "enrolment", "", "enrolment file of the owner's token (written by 'idport admin token new --enrolment')")
	fs.StringVar(&o.reason, "reason", "", "why (recorded in the audit log)")
}

func nameReasonFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.name, "name", "", "account name (token revoke: default yourself)")
	fs.StringVar(&o.reason, "reason", "", "why (recorded in the audit log)")
}

func tokenNewFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.enrolment, "enrolment", "", "also write the enrolment (token id and fingerprint, no secret) to this file")
}

func policyFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.IntVar(&o.quorum, "quorum", 0, "accounts, proposer included, that must agree (>= 2)")
	fs.StringVar(&o.coolingOff, "cooling-off", "", "how long the enrollers of an account may not approve its proposals (e.g. 168h)")
	fs.StringVar(&o.tokenTTL, "token-ttl", "", "lifetime of newly enrolled tokens (e.g. 2160h)")
	fs.StringVar(&o.reason, "reason", "", "why (recorded in the audit log)")
}

func outFlag(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.out, "out", "", "file to write the backup to (written through a temporary file, then renamed)")
}

// adminRun is what a command's function gets: the parsed options, the output and the client.
type adminRun struct {
	env Env
	cmd string
	o   adminOpts
	out printer
}

// client returns the admin API client of --registry with the token of --token, --token-file
// or IDPORT_TOKEN, or the client certificate of --cert and --key; --cacert adds CAs to trust.
func (x *adminRun) client() (*adminclient.Client, error) {
	tok, err := x.token()
	if err != nil {
		return nil, err
	}
	if tok == "" && x.o.cert == "" {
		return nil, errors.New("a token or a client certificate is required: --token, --token-file, IDPORT_TOKEN or --cert and --key")
	}
	if x.o.cert == "" && x.o.key == "" && x.o.cacert == "" {
		return adminclient.New(x.o.registry, tok), nil
	}
	cfg, err := clientTLS(x.o.cert, x.o.key, x.o.cacert)
	if err != nil {
		return nil, err
	}
	return adminclient.NewTLS(x.o.registry, tok, cfg), nil
}

// token returns the token of --token, --token-file or IDPORT_TOKEN ("" when none).
func (x *adminRun) token() (string, error) {
	if x.o.token != "" || x.o.tokenFile == "" {
		return x.o.token, nil
	}
	b, err := os.ReadFile(x.o.tokenFile)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// parseInterspersed parses flags that may come before or after positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string, env Env) ([]string, error) {
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(env.Stdout, flagHelp(fs))
				return nil, errUsage
			}
			return nil, fmt.Errorf("%w\n\n%s", err, flagHelp(fs))
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	return pos, bindEnv(fs, env)
}

// adminCommandName splits the (possibly two-word) command name off args.
func adminCommandName(args []string) (string, []string) {
	cmd, args := args[0], args[1:]
	switch cmd {
	case "audit", "account", "token", "policy", "checkpoint", "import":
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			return cmd + " " + args[0], args[1:]
		}
	}
	if cmd == "proposals" && len(args) > 0 && (args[0] == "show" || args[0] == "list") {
		if args[0] == "show" {
			cmd = "proposals show"
		}
		args = args[1:]
	}
	return cmd, args
}

// runAdmin dispatches the admin subcommands through the command table.
func runAdmin(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stdout, adminUsage())
		return nil
	}
	name, args := adminCommandName(args)
	i := slices.IndexFunc(adminCommands(), func(c adminCommand) bool { return c.name == name })
	if i < 0 {
		fmt.Fprint(env.Stderr, adminUsage())
		return fmt.Errorf("admin: unknown command %q", name)
	}
	c := adminCommands()[i]
	x := &adminRun{env: env, cmd: name}
	fs := flag.NewFlagSet("admin "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if c.flags != nil {
		c.flags(fs, &x.o)
	}
	if c.synopsis != "" || c.offline == "" {
		x.o.api(fs)
	}
	fs.BoolVar(&x.o.jsonOut, "json", false, "print JSON")
	pos, err := parseInterspersed(fs, args, env)
	if err != nil {
		return err
	}
	if len(pos) != c.args {
		return fmt.Errorf("admin %s: want %d argument(s), got %d\n\n%s", name, c.args, len(pos), adminUsage())
	}
	x.out = printer{env: env, json: x.o.jsonOut}
	return c.run(ctx, x, pos)
}

// withClient adapts a command function that needs the API client.
func (x *adminRun) withClient(f func(c *adminclient.Client) error) error {
	c, err := x.client()
	if err != nil {
		return fmt.Errorf("admin %s: %w", x.cmd, err)
	}
	return f(c)
}

func adminWhoami(ctx context.Context, x *adminRun, _ []string) error {
	return x.withClient(func(c *adminclient.Client) error {
		acct, err := c.Whoami(ctx)
		if err != nil {
			return err
		}
		return x.out.print(acct, func(w io.Writer) { fmt.Fprintf(w, "%s\troles: %s\n", acct.Name, joinRoles(acct.Roles)) })
	})
}

func adminProposals(ctx context.Context, x *adminRun, _ []string) error {
	return x.withClient(func(c *adminclient.Client) error {
		ps, err := c.ListProposals(ctx, trustregistry.ProposalStatus(x.o.status))
		if err != nil {
			return err
		}
		return x.out.print(ps, func(w io.Writer) {
			fmt.Fprintln(w, "ID\tSTATUS\tPROPOSER\tAPPROVALS\tOPS\tREASON")
			for _, p := range ps {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\n", p.ID, p.Status, p.Proposer, len(p.Approvals), len(p.ChangeSet.Ops), p.Reason)
			}
		})
	})
}

func adminShow(ctx context.Context, x *adminRun, pos []string) error {
	return x.withClient(func(c *adminclient.Client) error {
		p, err := c.GetProposal(ctx, pos[0])
		if err != nil {
			return err
		}
		return x.out.print(p, func(w io.Writer) { showProposal(w, p) })
	})
}

func adminPropose(ctx context.Context, x *adminRun, _ []string) error {
	return x.withClient(func(c *adminclient.Client) error {
		body, err := readProposal(x.o.file, x.o.reason, x.o.ttl)
		if err != nil {
			return err
		}
		p, err := c.SubmitJSON(ctx, body, "")
		if err != nil {
			return err
		}
		return x.out.print(p, func(w io.Writer) {
			fmt.Fprintf(w, "proposed %s (%d operations); it applies once approved by another account\n", p.ID, len(p.ChangeSet.Ops))
		})
	})
}

func adminApprove(ctx context.Context, x *adminRun, pos []string) error {
	return x.withClient(func(c *adminclient.Client) error {
		p, err := c.Approve(ctx, pos[0], x.o.comment)
		if err != nil {
			return err
		}
		return x.out.print(p, func(w io.Writer) {
			if p.Status == trustregistry.ProposalApplied {
				fmt.Fprintf(w, "approved %s: applied as registry version %d\n", p.ID, p.AppliedVersion)
			} else {
				fmt.Fprintf(w, "approved %s: %d approval(s), waiting for the quorum\n", p.ID, len(p.Approvals))
			}
		})
	})
}

func adminReject(ctx context.Context, x *adminRun, pos []string) error {
	return x.withClient(func(c *adminclient.Client) error {
		p, err := c.Reject(ctx, pos[0], x.o.reason)
		if err != nil {
			return err
		}
		return x.out.print(p, func(w io.Writer) { fmt.Fprintf(w, "rejected %s\n", p.ID) })
	})
}

// adminStatusChange returns the command proposing the change set that change makes
// (suspension or reinstatement of an authority).
func adminStatusChange(change func(id, reason string, effective time.Time) trustregistry.ChangeSet) func(context.Context, *adminRun, []string) error {
	return func(ctx context.Context, x *adminRun, _ []string) error {
		return x.withClient(func(c *adminclient.Client) error {
			if x.o.authority == "" || x.o.reason == "" {
				return fmt.Errorf("admin %s: --authority and --reason are required", x.cmd)
			}
			at := time.Now()
			if x.o.effective != "" {
				var err error
				if at, err = time.Parse(time.RFC3339, x.o.effective); err != nil {
					return fmt.Errorf("admin %s: --effective: %w", x.cmd, err)
				}
			}
			p, err := c.Propose(ctx, change(x.o.authority, x.o.reason, at), x.o.reason, "")
			if err != nil {
				return err
			}
			return x.out.print(p, func(w io.Writer) {
				fmt.Fprintf(w, "proposed %s: %s %s from %s; another account must approve it\n", p.ID, x.cmd, x.o.authority, at.UTC().Format(time.RFC3339))
			})
		})
	}
}

func adminHistory(ctx context.Context, x *adminRun, pos []string) error {
	return x.withClient(func(c *adminclient.Client) error {
		h, err := c.History(ctx, trustregistry.Kind(pos[0]), pos[1])
		if err != nil {
			return err
		}
		return x.out.print(h, func(w io.Writer) {
			fmt.Fprintln(w, "VERSION\tRECORDED\tOBJECT")
			for _, r := range h {
				fmt.Fprintf(w, "%d\t%s\t%s\n", r.Version, r.RecordedAt.Format(time.RFC3339), r.Object)
			}
		})
	})
}

func adminAuditExport(ctx context.Context, x *adminRun, _ []string) error {
	return x.withClient(func(c *adminclient.Client) error {
		recs, err := c.Audit(ctx)
		if err != nil {
			return err
		}
		if x.o.jsonOut {
			return x.out.print(recs, nil)
		}
		enc := json.NewEncoder(x.env.Stdout)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// adminBootstrap creates an account offline: in the bbolt file of --data, or, with --store etcd,
// in the registry's etcd prefix (taking the registry write lock, so before the registry starts).
func adminBootstrap(ctx context.Context, x *adminRun, _ []string) error {
	if x.o.account == "" || x.o.roles == "" {
		return fmt.Errorf("admin bootstrap: --account and --role are required\n\n%s", adminUsage())
	}
	st, err := x.o.store.open(ctx, x.o.data, x.env.Logger)
	if err != nil {
		return fmt.Errorf("admin bootstrap: %w", err)
	}
	defer st.Close()
	secret, err := bootstrapSecret(x)
	if err != nil {
		return fmt.Errorf("admin bootstrap: %w", err)
	}
	var tok string
	if secret != nil {
		tok, err = trustregistry.BootstrapSigned(ctx, st.Store, x.o.account, parseRoles(x.o.roles), secret)
	} else {
		tok, err = trustregistry.Bootstrap(ctx, st.Store, x.o.account, parseRoles(x.o.roles))
	}
	if errors.Is(err, trustregistry.ErrBootstrapNeedsKey) {
		return fmt.Errorf("admin bootstrap: %w: give --key-secret-file (the registry's), or create the account by a proposal (admin account create)", err)
	}
	if err != nil {
		return fmt.Errorf("admin bootstrap: %w", err)
	}
	return printToken(x.env, x.o.jsonOut, x.o.account, parseRoles(x.o.roles), tok)
}

// adminRotateSecret reseals the registry's keys from --old-secret-file to --new-secret-file,
// offline (the registry must be stopped: bbolt allows one process; on etcd the write lock).
func adminRotateSecret(ctx context.Context, x *adminRun, _ []string) error {
	if x.o.oldSecretFile == "" || x.o.newSecretFile == "" {
		return fmt.Errorf("admin rotate-secret: --old-secret-file and --new-secret-file are required\n\n%s", adminUsage())
	}
	oldSecret, err := readSecretFile(x.o.oldSecretFile)
	if err != nil {
		return fmt.Errorf("admin rotate-secret: --old-secret-file: %w", err)
	}
	newSecret, err := readSecretFile(x.o.newSecretFile)
	if err != nil {
		return fmt.Errorf("admin rotate-secret: --new-secret-file: %w", err)
	}
	st, err := x.o.store.open(ctx, x.o.data, x.env.Logger)
	if err != nil {
		return fmt.Errorf("admin rotate-secret: %w", err)
	}
	defer st.Close()
	n, err := trustregistry.RotateSecret(ctx, st.Store, oldSecret, newSecret)
	if err != nil {
		return fmt.Errorf("admin rotate-secret: %w", err)
	}
	fmt.Fprintf(x.env.Stdout, "resealed %d key(s) under the new key secret; start the registry with --key-secret-file %s\n", n, x.o.newSecretFile)
	return nil
}

// bootstrapSecret returns the registry key secret that signs a bootstrap: --key-secret-file,
// else the development secret a --dev registry keeps in --data, else nil (unsigned).
func bootstrapSecret(x *adminRun) ([]byte, error) {
	if x.o.keySecretFile != "" {
		b, err := readSecretFile(x.o.keySecretFile)
		if err != nil {
			return nil, fmt.Errorf("--key-secret-file: %w", err)
		}
		return b, nil
	}
	if x.o.data == "" {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(x.o.data, trustregistry.DevSecretFile))
	if err != nil {
		return nil, nil
	}
	fmt.Fprintf(x.env.Stderr, "WARNING: signing with the development key secret in %s\n", x.o.data)
	return b, nil
}

// tokenResult is the --json output of the commands creating an account.
type tokenResult struct {
	Account string               `json:"account"`
	Roles   []trustregistry.Role `json:"roles"`
	Token   string               `json:"token"`
}

func printToken(env Env, asJSON bool, name string, roles []trustregistry.Role, tok string) error {
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(tokenResult{Account: name, Roles: roles, Token: tok})
	}
	fmt.Fprintf(env.Stdout, "Created account %q with roles %s.\nIts bearer token follows; it is shown once and stored only as a hash:\n%s\n", name, joinRoles(roles), tok)
	return nil
}

func adminAuditVerify(ctx context.Context, x *adminRun, _ []string) error {
	rep, err := auditReport(ctx, x)
	if err != nil {
		return fmt.Errorf("admin audit verify: %w", err)
	}
	if err := x.out.print(rep, func(w io.Writer) {
		switch {
		case rep.OK && rep.CheckpointSeq > 0:
			fmt.Fprintf(w, "audit chain OK: %d records, registry version %d, last hash %s, state digest %s; signed checkpoint covers record %d\n",
				rep.Records, rep.Version, rep.LastHash, rep.StateDigest, rep.CheckpointSeq)
		case rep.OK:
			fmt.Fprintf(w, "audit chain OK: %d records, registry version %d, last hash %s, state digest %s (signed checkpoint not checked: --registry-key)\n",
				rep.Records, rep.Version, rep.LastHash, rep.StateDigest)
		default:
			fmt.Fprintf(w, "audit chain BROKEN: %s\n", rep.Error)
		}
	}); err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("audit chain broken: %s: %w", rep.Error, trustregistry.ErrAuditBroken)
	}
	return nil
}

// readRegistryKey reads the registry's public JWK from file.
func readRegistryKey(file string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pub, _, err := keys.ParsePublicJWK(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return pub, nil
}

// adminCheckpointVerify checks a snapshot file offline: its signature with the registry key,
// then its state against the signed checkpoint it carries.
func adminCheckpointVerify(ctx context.Context, x *adminRun, _ []string) error {
	if x.o.registryKey == "" || x.o.snapshot == "" {
		return errors.New("admin checkpoint verify: --registry-key and --snapshot are required")
	}
	pub, err := readRegistryKey(x.o.registryKey)
	if err != nil {
		return fmt.Errorf("admin checkpoint verify: %w", err)
	}
	b, err := os.ReadFile(x.o.snapshot)
	if err != nil {
		return fmt.Errorf("admin checkpoint verify: %w", err)
	}
	snap, ck, err := trustregistry.VerifySnapshotCheckpoint(b, pub)
	if err != nil {
		return fmt.Errorf("admin checkpoint verify: %s: %w", x.o.snapshot, err)
	}
	if ck == nil {
		return fmt.Errorf("admin checkpoint verify: %s: the empty registry has no checkpoint", x.o.snapshot)
	}
	return x.out.print(ck, func(w io.Writer) {
		fmt.Fprintf(w, "checkpoint OK: snapshot %d of registry version %d; audit record %d hash %s; state digest %s (recomputed from the snapshot's state); signed at %s\n",
			snap.Sequence, ck.Version, ck.Seq, ck.RecordHash, ck.StateDigest, ck.IssuedAt.Format(time.RFC3339))
	})
}

// auditReport checks the audit chain in the bbolt file of --data, or asks the registry.
func auditReport(ctx context.Context, x *adminRun) (trustregistry.AuditReport, error) {
	if x.o.data != "" {
		st, err := storeconfig.Open(ctx, storeconfig.Config{DataDir: x.o.data, Logger: x.env.Logger})
		if err != nil {
			return trustregistry.AuditReport{}, err
		}
		defer st.Close()
		if x.o.registryKey == "" {
			return trustregistry.CheckAudit(ctx, st.Store)
		}
		pub, err := readRegistryKey(x.o.registryKey)
		if err != nil {
			return trustregistry.AuditReport{}, err
		}
		return trustregistry.CheckIntegrity(ctx, st.Store, pub)
	}
	c, err := x.client()
	if err != nil {
		return trustregistry.AuditReport{}, fmt.Errorf("%w (or --data DIR to verify offline)", err)
	}
	return c.VerifyAudit(ctx)
}

// readProposal reads the proposal file (the API body: ops, reason, ttl) and returns it as is;
// --reason and --ttl, when given, set those members. It is checked strictly here for a local
// error message; the registry checks it again.
func readProposal(file, reason, ttl string) ([]byte, error) {
	if file == "" {
		return nil, errors.New("admin propose: --file is required")
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, 16<<20))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("admin propose: %w", err)
	}
	var req trustregistry.ProposeRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("admin propose: %s: %w", file, err)
	}
	if reason == "" && ttl == "" {
		return b, nil
	}
	if reason != "" {
		req.Reason = reason
	}
	if ttl != "" {
		req.TTL = ttl
	}
	return json.Marshal(req)
}

func parseRoles(s string) []trustregistry.Role {
	var out []trustregistry.Role
	for _, r := range splitList(s) {
		out = append(out, trustregistry.Role(r))
	}
	return out
}

func joinRoles(rs []trustregistry.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

func showProposal(w io.Writer, d *trustregistry.ProposalDetail) {
	p := &d.Proposal
	fmt.Fprintf(w, "proposal\t%s\nstatus\t%s\nproposer\t%s\ncreated\t%s\nexpires\t%s\nreason\t%s\n", p.ID, p.Status, p.Proposer,
		p.CreatedAt.Format(time.RFC3339), p.ExpiresAt.Format(time.RFC3339), p.Reason)
	for _, a := range p.Approvals {
		fmt.Fprintf(w, "approved by\t%s at %s %s\n", a.Account, a.At.Format(time.RFC3339), a.Comment)
	}
	if p.AppliedVersion > 0 {
		fmt.Fprintf(w, "applied as\tversion %d\n", p.AppliedVersion)
	}
	if p.DecisionReason != "" {
		fmt.Fprintf(w, "decision\t%s by %s\n", p.DecisionReason, p.DecidedBy)
	}
	for i, op := range p.ChangeSet.Ops {
		b, _ := json.Marshal(op)
		fmt.Fprintf(w, "op %d\t%s\n", i, b)
	}
	if d.Stale != "" {
		fmt.Fprintf(w, "STALE\t%s\n", d.Stale)
	}
	if d.DiffError != "" {
		fmt.Fprintf(w, "does not apply\t%s\n", d.DiffError)
	}
	for _, r := range d.PasskeyResets {
		fmt.Fprintf(w, "passkeys of %s removed: %d\n", r.Account, r.Removed)
	}
	for _, c := range d.Changes {
		fmt.Fprintf(w, "%s %s/%s\t%s", c.Change, c.Kind, c.ID, c.Path)
		if c.Before != nil {
			fmt.Fprintf(w, "  before %s", c.Before)
		}
		if c.After != nil {
			fmt.Fprintf(w, "  after %s", c.After)
		}
		fmt.Fprintln(w)
	}
}

// printer writes JSON or a tab-aligned human form.
// adminBackup fetches an online backup of the registry into --out (see saveBackup).
func adminBackup(ctx context.Context, x *adminRun, _ []string) error {
	c, err := x.client()
	if err != nil {
		return fmt.Errorf("admin backup: %w", err)
	}
	if x.o.out == "" {
		return errors.New("backup: --out FILE is required")
	}
	b, err := c.Backup(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer b.Close()
	return saveBackup(x.env, b.Body, b.Size, b.ReprDigest, x.o.out, x.o.jsonOut)
}
