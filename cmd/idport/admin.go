package main

import (
	"github.com/idport/idport/pkg/errs"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/client"
)

const adminUsage = `Usage: idport admin <command> [flags] [args]

Offline (the registry must not be running on that data directory):
  bootstrap --data DIR --account NAME --role ROLE[,ROLE]   create an account; prints its token last
  audit verify --data DIR                                  check the audit hash chain in the file

Over the admin API (--registry URL, --token TOKEN or --token-file FILE):
  whoami
  proposals [--status pending|applied|rejected|expired]    list proposals
  proposals show ID                                        one proposal with its change set
  propose --file CHANGESET.json --reason TEXT [--ttl 48h]  propose a change set
  approve ID [--comment TEXT]                              approve (applies at quorum)
  reject ID --reason TEXT                                  reject, or withdraw one's own
  suspend --authority ID --reason TEXT [--effective RFC3339]    propose a suspension (back-dating allowed)
  reinstate --authority ID --reason TEXT [--effective RFC3339]  propose a reinstatement
  history KIND ID                                          revisions of an object (authority, scheme, ...)
  audit export                                             the whole audit log (JSON lines)
  audit verify                                             ask the registry to check its audit chain
  account create --name NAME --role ROLE[,ROLE]            (admin role) create an account; prints its token last
  account disable --name NAME                              (admin role) disable an account at once
  account rotate-token [--name NAME]                       new token for yourself (or, admin role, another); prints it last
  rotate-key                                               (admin role) new registry key, announced under the old one
  backup --out FILE                                        (auditor or admin role) online backup of registry.db, checked

Every command takes --json for machine-readable output. Roles: proposer, approver, auditor, admin.
`

// adminFlags are the flags shared by the admin commands; each command registers what it uses.
type adminFlags struct {
	registry, token, tokenFile, data string
	jsonOut                          bool
}

func (a *adminFlags) api(fs *flag.FlagSet) {
	fs.StringVar(&a.registry, "registry", "http://127.0.0.1:8441", "registry base URL")
	fs.StringVar(&a.token, "token", "", "bearer token of your account")
	fs.StringVar(&a.tokenFile, "token-file", "", "file holding the bearer token")
	fs.BoolVar(&a.jsonOut, "json", false, "print JSON")
}

func (a *adminFlags) client() (*client.Admin, error) {
	tok, err := a.bearer()
	if err != nil {
		return nil, err
	}
	return client.NewAdmin(a.registry, tok), nil
}

// bearer returns the token from --token, --token-file or IDPORT_TOKEN.
func (a *adminFlags) bearer() (string, error) {
	tok := a.token
	if tok == "" && a.tokenFile != "" {
		b, err := os.ReadFile(a.tokenFile)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	if tok == "" {
		return "", errors.New("a token is required: --token, --token-file or IDPORT_TOKEN")
	}
	return tok, nil
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

// runAdmin dispatches the admin subcommands.
func runAdmin(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stdout, adminUsage)
		return nil
	}
	cmd, args := args[0], args[1:]
	if (cmd == "audit" || cmd == "account") && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = cmd+" "+args[0], args[1:]
	}
	if cmd == "proposals" && len(args) > 0 && (args[0] == "show" || args[0] == "list") {
		if args[0] == "show" {
			cmd = "proposals show"
		}
		args = args[1:]
	}
	var a adminFlags
	fs := flag.NewFlagSet("admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch cmd {
	case "bootstrap":
		var account, roles string
		var store storeFlags
		fs.StringVar(&a.data, "data", "./data/registry", "registry data directory")
		fs.StringVar(&account, "account", "", "account name")
		fs.StringVar(&roles, "role", "", "role(s): proposer, approver, auditor, admin (comma-separated)")
		fs.BoolVar(&a.jsonOut, "json", false, "print JSON")
		store.register(fs)
		if _, err := parseInterspersed(fs, args, env); err != nil {
			return err
		}
		return adminBootstrap(ctx, env, a, store, account, roles)
	case "audit verify":
		fs.StringVar(&a.data, "data", "", "verify the file in this data directory offline instead of asking the registry")
		a.api(fs)
		if _, err := parseInterspersed(fs, args, env); err != nil {
			return err
		}
		return adminAuditVerify(ctx, env, a)
	}
	a.api(fs)
	var status, file, reason, ttl, comment, authority, effective, name, roles, outFile string
	switch cmd {
	case "backup":
		fs.StringVar(&outFile, "out", "", "file to write the backup to (written through a temporary file, then renamed)")
	case "proposals":
		fs.StringVar(&status, "status", "", "only proposals in this status")
	case "propose":
		fs.StringVar(&file, "file", "", "change set JSON file ({\"ops\": [...]}); - for stdin")
		fs.StringVar(&reason, "reason", "", "why (recorded in the audit log)")
		fs.StringVar(&ttl, "ttl", "", "time to wait for approval (default: the registry's)")
	case "approve":
		fs.StringVar(&comment, "comment", "", "comment recorded with the approval")
	case "reject":
		fs.StringVar(&reason, "reason", "", "why")
	case "suspend", "reinstate":
		fs.StringVar(&authority, "authority", "", "authority id")
		fs.StringVar(&reason, "reason", "", "why (recorded in the audit log)")
		fs.StringVar(&effective, "effective", "", "when it takes effect (RFC 3339; default now; may be in the past)")
	case "account create":
		fs.StringVar(&name, "name", "", "account name")
		fs.StringVar(&roles, "role", "", "role(s), comma-separated")
	case "account disable", "account rotate-token":
		fs.StringVar(&name, "name", "", "account name (rotate-token: default yourself)")
	case "whoami", "proposals show", "history", "audit export", "rotate-key":
	default:
		fmt.Fprint(env.Stderr, adminUsage)
		return fmt.Errorf("admin: unknown command %q", cmd)
	}
	pos, err := parseInterspersed(fs, args, env)
	if err != nil {
		return err
	}
	wantArgs := map[string]int{"proposals show": 1, "approve": 1, "reject": 1, "history": 2}[cmd]
	if len(pos) != wantArgs {
		return fmt.Errorf("admin %s: want %d argument(s), got %d\n\n%s", cmd, wantArgs, len(pos), adminUsage)
	}
	if cmd == "backup" {
		tok, err := a.bearer()
		if err != nil {
			return fmt.Errorf("admin backup: %w", err)
		}
		return downloadBackup(ctx, env, strings.TrimRight(a.registry, "/")+"/admin/v1/backup", tok, outFile, a.jsonOut)
	}
	c, err := a.client()
	if err != nil {
		return fmt.Errorf("admin %s: %w", cmd, err)
	}
	out := printer{env: env, json: a.jsonOut}
	switch cmd {
	case "whoami":
		acct, err := c.Whoami(ctx)
		if err != nil {
			return err
		}
		return out.print(acct, func(w io.Writer) { fmt.Fprintf(w, "%s\troles: %s\n", acct.Name, joinRoles(acct.Roles)) })
	case "proposals":
		ps, err := c.ListProposals(ctx, trustregistry.ProposalStatus(status))
		if err != nil {
			return err
		}
		return out.print(ps, func(w io.Writer) {
			fmt.Fprintln(w, "ID\tSTATUS\tPROPOSER\tAPPROVALS\tOPS\tREASON")
			for _, p := range ps {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\n", p.ID, p.Status, p.Proposer, len(p.Approvals), len(p.ChangeSet.Ops), p.Reason)
			}
		})
	case "proposals show":
		p, err := c.GetProposal(ctx, pos[0])
		if err != nil {
			return err
		}
		return out.print(p, func(w io.Writer) { showProposal(w, p) })
	case "propose":
		cs, err := readChangeSet(file, env)
		if err != nil {
			return err
		}
		var p trustregistry.Proposal
		body := map[string]any{"change_set": cs, "reason": reason}
		if ttl != "" {
			body["ttl"] = ttl
		}
		if err := c.Do(ctx, "POST", "/admin/v1/proposals", body, &p, ""); err != nil {
			return err
		}
		return out.print(&p, func(w io.Writer) {
			fmt.Fprintf(w, "proposed %s (%d operations); it applies once approved by another account\n", p.ID, len(p.ChangeSet.Ops))
		})
	case "approve":
		p, err := c.Approve(ctx, pos[0], comment)
		if err != nil {
			return err
		}
		return out.print(p, func(w io.Writer) {
			if p.Status == trustregistry.ProposalApplied {
				fmt.Fprintf(w, "approved %s: applied as registry version %d\n", p.ID, p.AppliedVersion)
			} else {
				fmt.Fprintf(w, "approved %s: %d approval(s), waiting for the quorum\n", p.ID, len(p.Approvals))
			}
		})
	case "reject":
		p, err := c.Reject(ctx, pos[0], reason)
		if err != nil {
			return err
		}
		return out.print(p, func(w io.Writer) { fmt.Fprintf(w, "rejected %s\n", p.ID) })
	case "suspend", "reinstate":
		if authority == "" || reason == "" {
			return fmt.Errorf("admin %s: --authority and --reason are required", cmd)
		}
		at := time.Now()
		if effective != "" {
			if at, err = time.Parse(time.RFC3339, effective); err != nil {
				return fmt.Errorf("admin %s: --effective: %w", cmd, err)
			}
		}
		cs := trustregistry.SuspendAuthority(authority, reason, at)
		if cmd == "reinstate" {
			cs = trustregistry.ReinstateAuthority(authority, reason, at)
		}
		p, err := c.Propose(ctx, cs, reason, "")
		if err != nil {
			return err
		}
		return out.print(p, func(w io.Writer) {
			fmt.Fprintf(w, "proposed %s: %s %s from %s; another account must approve it\n", p.ID, cmd, authority, at.UTC().Format(time.RFC3339))
		})
	case "history":
		h, err := c.History(ctx, trustregistry.Kind(pos[0]), pos[1])
		if err != nil {
			return err
		}
		return out.print(h, func(w io.Writer) {
			fmt.Fprintln(w, "VERSION\tRECORDED\tOBJECT")
			for _, r := range h {
				fmt.Fprintf(w, "%d\t%s\t%s\n", r.Version, r.RecordedAt.Format(time.RFC3339), r.Object)
			}
		})
	case "audit export":
		recs, err := c.Audit(ctx)
		if err != nil {
			return err
		}
		if a.jsonOut {
			return out.print(recs, nil)
		}
		enc := json.NewEncoder(env.Stdout)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	case "rotate-key":
		var jwk json.RawMessage
		if err := c.Do(ctx, "POST", "/admin/v1/key/rotate", nil, &jwk, ""); err != nil {
			return err
		}
		if a.jsonOut {
			_, err := fmt.Fprintf(env.Stdout, "%s\n", jwk)
			return err
		}
		fmt.Fprintf(env.Stdout, "Registry key rotated; replicas follow the announcement signed by the old key.\nNew public key (JWK) for new verifiers to pin:\n%s\n", jwk)
		return nil
	case "account disable":
		if name == "" {
			return errors.New("admin account disable: --name is required")
		}
		var acct trustregistry.Account
		if err := c.Do(ctx, "POST", "/admin/v1/accounts/"+url.PathEscape(name)+"/disable", nil, &acct, ""); err != nil {
			return err
		}
		return out.print(acct, func(w io.Writer) { fmt.Fprintf(w, "account %s disabled; its token no longer works\n", name) })
	case "account rotate-token":
		if name == "" {
			me, err := c.Whoami(ctx)
			if err != nil {
				return err
			}
			name = me.Name
		}
		var body struct {
			Token string `json:"token"`
		}
		if err := c.Do(ctx, "POST", "/admin/v1/accounts/"+url.PathEscape(name)+"/token", nil, &body, ""); err != nil {
			return err
		}
		if a.jsonOut {
			return json.NewEncoder(env.Stdout).Encode(map[string]string{"account": name, "token": body.Token})
		}
		fmt.Fprintf(env.Stdout, "New token for %q; the old one no longer works. Shown once:\n%s\n", name, body.Token)
		return nil
	case "account create":
		tok, err := c.CreateAccount(ctx, name, parseRoles(roles)...)
		if err != nil {
			return err
		}
		return printToken(env, a.jsonOut, name, parseRoles(roles), tok)
	}
	return nil
}

// adminBootstrap creates an account offline: in the bbolt file of --data, or, with --store etcd,
// in the registry's etcd prefix (taking the registry write lock, so before the registry starts).
func adminBootstrap(ctx context.Context, env Env, a adminFlags, store storeFlags, account, roles string) error {
	if account == "" || roles == "" {
		return fmt.Errorf("admin bootstrap: --account and --role are required\n\n%s", adminUsage)
	}
	opened, err := store.open(ctx, env.Logger)
	if err != nil {
		return fmt.Errorf("admin bootstrap: %w", err)
	}
	defer opened.close()
	var tok string
	if opened.store != nil {
		tok, err = trustregistry.BootstrapStore(ctx, opened.store, account, parseRoles(roles))
	} else {
		tok, err = trustregistry.Bootstrap(ctx, a.data, account, parseRoles(roles))
	}
	if err != nil {
		return fmt.Errorf("admin bootstrap: %w", err)
	}
	return printToken(env, a.jsonOut, account, parseRoles(roles), tok)
}

func printToken(env Env, asJSON bool, name string, roles []trustregistry.Role, tok string) error {
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(map[string]any{"account": name, "roles": roles, "token": tok})
	}
	fmt.Fprintf(env.Stdout, "Created account %q with roles %s.\nIts bearer token follows; it is shown once and stored only as a hash:\n%s\n", name, joinRoles(roles), tok)
	return nil
}

func adminAuditVerify(ctx context.Context, env Env, a adminFlags) error {
	var rep trustregistry.AuditReport
	var err error
	if a.data != "" {
		rep, err = trustregistry.VerifyAuditOffline(ctx, a.data)
	} else {
		c, cerr := a.client()
		if cerr != nil {
			return fmt.Errorf("admin audit verify: %w (or --data DIR to verify offline)", cerr)
		}
		rep, err = c.VerifyAudit(ctx)
	}
	if err != nil {
		return fmt.Errorf("admin audit verify: %w", err)
	}
	out := printer{env: env, json: a.jsonOut}
	if err := out.print(rep, func(w io.Writer) {
		if rep.OK {
			fmt.Fprintf(w, "audit chain OK: %d records, registry version %d, last hash %s\n", rep.Records, rep.Version, rep.LastHash)
		} else {
			fmt.Fprintf(w, "audit chain BROKEN at record %d: %s\n", rep.BrokenAt, rep.Error)
		}
	}); err != nil {
		return err
	}
	if !rep.OK {
		return errs.Errorf(trustregistry.CodeAuditBroken, "audit chain broken at record %d: %w", rep.BrokenAt, trustregistry.ErrAuditBroken)
	}
	return nil
}

func readChangeSet(file string, env Env) (trustregistry.ChangeSet, error) {
	var cs trustregistry.ChangeSet
	if file == "" {
		return cs, errors.New("admin propose: --file is required")
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, 16<<20))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return cs, fmt.Errorf("admin propose: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cs); err != nil {
		return cs, fmt.Errorf("admin propose: %s: %w", file, err)
	}
	return cs, nil
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

func showProposal(w io.Writer, p *trustregistry.Proposal) {
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
}

// printer writes JSON or a tab-aligned human form.
type printer struct {
	env  Env
	json bool
}

func (p printer) print(v any, human func(io.Writer)) error {
	if p.json || human == nil {
		enc := json.NewEncoder(p.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(p.env.Stdout, 2, 4, 2, ' ', 0)
	human(tw)
	return tw.Flush()
}

// downloadBackup fetches an online backup (GET url with a bearer token) into the file out:
// through a temporary file in its directory, checked against Content-Length and the
// Repr-Digest SHA-256 the service sent, opened and page-checked as a bbolt file, fsynced and
// only then renamed to out. A failed download leaves out as it was.
func downloadBackup(ctx context.Context, env Env, url, token, out string, jsonOut bool) error {
	if out == "" {
		return errors.New("backup: --out FILE is required")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var p struct{ Title, Detail, Code string }
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(body, &p) != nil || p.Code == "" {
			return fmt.Errorf("backup: %s answered %s", url, resp.Status)
		}
		return fmt.Errorf("backup: %s answered %s: %s (%s)", url, resp.Status, p.Detail, p.Code)
	}
	want, err := boltkv.ParseReprDigest(resp.Header.Get(boltkv.HeaderReprDigest))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	partial := out + ".partial"
	info, err := boltkv.WriteFileAtomic(partial, func(w io.Writer) (int64, error) { return io.Copy(w, resp.Body) })
	if err != nil {
		return fmt.Errorf("backup: download: %w", err)
	}
	check := func() error {
		if resp.ContentLength >= 0 && info.Size != resp.ContentLength {
			return fmt.Errorf("got %d bytes, Content-Length said %d", info.Size, resp.ContentLength)
		}
		if info.SHA256 != want {
			return fmt.Errorf("%w: sha256 %s, the service sent %s", boltkv.ErrDigestMismatch, info.Hex(), hex.EncodeToString(want[:]))
		}
		return boltkv.CheckFile(partial)
	}
	if err := check(); err != nil {
		os.Remove(partial)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(partial, out); err != nil {
		os.Remove(partial)
		return fmt.Errorf("backup: %w", err)
	}
	if jsonOut {
		return json.NewEncoder(env.Stdout).Encode(map[string]any{"file": out, "bytes": info.Size, "sha256": info.Hex()})
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %d bytes, sha256 %s (digest and bbolt pages checked)\n", out, info.Size, info.Hex())
	return nil
}
