package trustregistry_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	"github.com/idport/idport/trustregistry/storeconfig"
)

const crashEnv = "IDPORT_REGISTRY_CRASH_CHILD"

// crashChangeSet is the change set applied as version v: three objects that must appear together.
func crashChangeSet(v uint64) trustregistry.ChangeSet {
	j := fmt.Sprintf("XC-%d", v)
	return trustregistry.ChangeSet{Ops: []trustregistry.Op{
		{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: j, Name: "crash " + j}},
		{Op: trustregistry.OpUpsertScheme, Scheme: &trustregistry.Scheme{ID: fmt.Sprintf("crash-%d-a", v), Jurisdiction: j, Name: "a", AssuranceLevels: []string{"low"}}},
		{Op: trustregistry.OpUpsertScheme, Scheme: &trustregistry.Scheme{ID: fmt.Sprintf("crash-%d-b", v), Jurisdiction: j, Name: "b", AssuranceLevels: []string{"low"}}},
	}}
}

// crashChild applies proposals in a loop until killed, printing each applied version.
func crashChild(dir string) {
	ctx := context.Background()
	svc, err := newService(trustregistry.Config{DataDir: dir, KeySecret: secret, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	for _, n := range []string{"alice", "bob"} {
		role := trustregistry.RoleProposer
		if n == "bob" {
			role = trustregistry.RoleApprover
		}
		svc.CreateAccount(ctx, n, []trustregistry.Role{role}) // exists after the first run
	}
	alice, _ := svc.Store().GetAccount(ctx, "alice")
	bob, _ := svc.Store().GetAccount(ctx, "bob")
	for {
		v := uint64(len(svc.Index().State().Jurisdictions)) + 1 // the change sets applied so far, plus one
		p, err := svc.Propose(ctx, alice, crashChangeSet(v), fmt.Sprintf("crash test v%d", v), 0)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		if _, err := svc.Approve(ctx, bob, p.ID, ""); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("applied", v)
	}
}

func TestCrashSafety(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	for round := 0; round < 6; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of applied change sets plus a random delay, so the kill
		// lands anywhere inside the next propose/approve/apply/snapshot sequence.
		killAfter := 1 + rand.IntN(15)
		sc := bufio.NewScanner(out)
		seen := 0
		for seen < killAfter && sc.Scan() {
			if line := sc.Text(); len(line) > 5 && line[:5] == "error" {
				t.Fatalf("child: %s", line)
			}
			seen++
		}
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		go io.Copy(io.Discard, out)
		cmd.Wait()
		if seen == 0 {
			t.Fatalf("round %d: child applied nothing", round)
		}
	}

	st, err := boltstore.Open(filepath.Join(dir, storeconfig.DBFile), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, _, err := trustregistry.VerifyStoreAudit(ctx, st)
	if err != nil {
		t.Fatalf("audit chain after crashes: %v", err)
	}
	state, err := st.LoadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := st.Audit(ctx, 0, 0)
	recs := appliedRecords(all)
	for i, r := range all {
		if r.Version != uint64(i+1) || (!r.Lifecycle() && len(r.Diff) != 3) {
			t.Fatalf("audit record %d: version %d, %d changes", i+1, r.Version, len(r.Diff))
		}
	}
	applied := uint64(len(recs))
	for v := uint64(1); v <= applied; v++ {
		j := fmt.Sprintf("XC-%d", v)
		if state.Jurisdictions[j] == nil || state.Schemes[fmt.Sprintf("crash-%d-a", v)] == nil || state.Schemes[fmt.Sprintf("crash-%d-b", v)] == nil {
			t.Fatalf("version %d is not whole", v)
		}
	}
	if state.Jurisdictions[fmt.Sprintf("XC-%d", applied+1)] != nil || len(state.Jurisdictions) != int(applied) || len(state.Schemes) != 2*int(applied) {
		t.Fatalf("objects beyond change set %d: %d jurisdictions, %d schemes", applied, len(state.Jurisdictions), len(state.Schemes))
	}
	st.Close()
	t.Logf("6 SIGKILLs: %d change sets applied over %d versions, whole, audit chain of %d records verifies", applied, state.Version, n)
	svc, err := newService(trustregistry.Config{DataDir: dir, KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("reopen service: %v", err)
	}
	if rec, ok := svc.Snapshot(); !ok || rec.Version != state.Version {
		t.Fatalf("snapshot after reopen: %+v", rec)
	}
	svc.Close()
}
