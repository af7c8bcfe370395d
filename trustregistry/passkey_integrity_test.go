package trustregistry_test

// Console passkeys (the second factor of regulator accounts) under the registry's integrity
// check: someone holding registry.db without the key secret can neither remove an account's
// passkeys nor add their own; enrolments and removals made through the registry survive a
// restart and a key rotation interrupted by a crash.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	bolt "go.etcd.io/bbolt"
)

func newPasskey(t *testing.T) trustregistry.Passkey {
	t.Helper()
	id, pub := make([]byte, 16), make([]byte, 77)
	rand.Read(id)
	rand.Read(pub)
	return trustregistry.Passkey{ID: id, PublicKey: pub, Credential: json.RawMessage(`{"authenticator":{"signCount":0}}`)}
}

// editAccount rewrites the stored JSON of account name in the registry file.
func editAccount(t *testing.T, path, name string, fn func(a map[string]any)) (original []byte) {
	t.Helper()
	editDB(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket(boltstore.BucketAccounts)
		original = slices.Clone(b.Get([]byte(name)))
		var a map[string]any
		if err := json.Unmarshal(original, &a); err != nil {
			return err
		}
		fn(a)
		raw, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), raw)
	})
	return original
}

func putAccountRaw(t *testing.T, path, name string, raw []byte) {
	t.Helper()
	editDB(t, path, func(tx *bolt.Tx) error { return tx.Bucket(boltstore.BucketAccounts).Put([]byte(name), raw) })
}

// The passkeys of an account are deleted from registry.db while the registry is stopped (the
// second factor gone): the registry refuses to serve, naming the account, and so does the
// offline audit verify, with or without the registry key.
func TestAttackPasskeyRemovedFromRegistryFileOffline(t *testing.T) {
	l := newLiveRegistry(t)
	r := seedAndSync(t, l)
	ctx := context.Background()
	for range 2 {
		if err := l.svc.AddPasskey(ctx, "alice", newPasskey(t)); err != nil {
			t.Fatal(err)
		}
	}
	pub := registryPub(t, l.svc)
	seq := snapshotSeq(t, l.svc)
	l.stop()

	for name, edit := range map[string]func(a map[string]any){
		"all passkeys":  func(a map[string]any) { delete(a, "passkeys") },
		"one passkey":   func(a map[string]any) { a["passkeys"] = a["passkeys"].([]any)[:1] },
		"a swapped key": func(a map[string]any) { a["passkeys"].([]any)[0].(map[string]any)["public_key"] = "AAAA" },
		"a swapped id":  func(a map[string]any) { a["passkeys"].([]any)[1].(map[string]any)["id"] = "AAAA" },
		"an added one":  func(a map[string]any) { a["passkeys"] = append(a["passkeys"].([]any), passkeyJSON(t)) },
		"one, the record": func(a map[string]any) {
			a["passkeys"].([]any)[0].(map[string]any)["credential"] = map[string]any{"x": 1}
		},
	} {
		original := editAccount(t, l.file(), "alice", edit)
		if name == "one, the record" {
			// The console's own record of a credential (its sign counter) is not covered.
			l.start(t)
			if err := l.svc.Ready(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			l.stop()
			putAccountRaw(t, l.file(), "alice", original)
			continue
		}
		l.start(t)
		assertRefuses(t, l, r, seq, "account/alice")
		l.stop()
		for _, k := range []any{nil, pub} {
			if rep := offlineReport(t, l.file(), k); rep.OK || rep.Object != "account/alice" {
				t.Fatalf("%s: offline audit verify (key %v): %+v", name, k != nil, rep)
			}
		}
		putAccountRaw(t, l.file(), "alice", original)
	}
	l.start(t)
	if err := l.svc.Ready(); err != nil {
		t.Fatalf("the file as the registry left it: %v", err)
	}
	if pks, err := l.svc.Passkeys(ctx, "alice"); err != nil || len(pks) != 2 {
		t.Fatalf("alice's passkeys: %d %v", len(pks), err)
	}
}

func passkeyJSON(t *testing.T) map[string]any {
	t.Helper()
	b, _ := json.Marshal(newPasskey(t))
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// A passkey of the attacker's is added offline to an account that had none, and to one that
// had one: the registry refuses to serve, naming the account.
func TestAttackPasskeyAddedToRegistryFileOffline(t *testing.T) {
	l := newLiveRegistry(t)
	r := seedAndSync(t, l)
	ctx := context.Background()
	if err := l.svc.AddPasskey(ctx, "alice", newPasskey(t)); err != nil {
		t.Fatal(err)
	}
	seq := snapshotSeq(t, l.svc)
	l.stop()
	original := editAccount(t, l.file(), "bob", func(a map[string]any) { a["passkeys"] = []any{passkeyJSON(t)} })
	l.start(t)
	assertRefuses(t, l, r, seq, "account/bob")
	if _, err := l.svc.Passkeys(ctx, "bob"); errs.CodeOf(err) != trustregistry.CodeStateIntegrity {
		t.Fatalf("passkeys of a registry that refuses to serve: %v", err)
	}
	if err := l.svc.AddPasskey(ctx, "bob", newPasskey(t)); errs.CodeOf(err) != trustregistry.CodeStateIntegrity {
		t.Fatalf("enrolment on a registry that refuses to serve: %v", err)
	}
	l.stop()
	if rep := offlineReport(t, l.file(), nil); rep.OK || rep.Object != "account/bob" {
		t.Fatalf("offline audit verify: %+v", rep)
	}
	putAccountRaw(t, l.file(), "bob", original)
	l.start(t)
	if err := l.svc.Ready(); err != nil {
		t.Fatalf("the file as the registry left it: %v", err)
	}
}

// Passkeys enrolled, used and removed through the registry prove themselves after a restart.
func TestPasskeysEnrolledAndRemovedServeAfterRestart(t *testing.T) {
	l := newLiveRegistry(t)
	seedAndSync(t, l)
	ctx := context.Background()
	p1, p2, p3 := newPasskey(t), newPasskey(t), newPasskey(t)
	for _, p := range []trustregistry.Passkey{p1, p2, p3} {
		if err := l.svc.AddPasskey(ctx, "alice", p); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.svc.AddPasskey(ctx, "alice", p1); errs.CodeOf(err) != trustregistry.CodeAlreadyExists {
		t.Fatalf("the same passkey twice: %v", err)
	}
	if err := l.svc.RemovePasskey(ctx, "alice", p2.ID); err != nil {
		t.Fatal(err)
	}
	used := p3
	used.Credential = json.RawMessage(`{"authenticator":{"signCount":7}}`)
	if err := l.svc.RecordPasskeyUse(ctx, "alice", used); err != nil {
		t.Fatal(err)
	}
	forged := p3
	forged.PublicKey = []byte("another key")
	if err := l.svc.RecordPasskeyUse(ctx, "alice", forged); err == nil {
		t.Fatal("a sign-in record replaced the passkey's public key")
	}
	if err := l.svc.AddPasskey(ctx, "bob", newPasskey(t)); err != nil {
		t.Fatal(err)
	}
	if err := l.svc.RemovePasskey(ctx, "bob", p1.ID); errs.CodeOf(err) != trustregistry.CodeNotFound {
		t.Fatalf("removing another account's passkey: %v", err)
	}
	l.stop()
	l.start(t)
	if err := l.svc.Ready(); err != nil {
		t.Fatal(err)
	}
	pks, err := l.svc.Passkeys(ctx, "alice")
	if err != nil || len(pks) != 2 || string(pks[1].Credential) != string(used.Credential) {
		t.Fatalf("alice's passkeys after a restart: %+v %v", pks, err)
	}
	// All of an account's passkeys removed through the registry.
	for _, p := range pks {
		if err := l.svc.RemovePasskey(ctx, "alice", p.ID); err != nil {
			t.Fatal(err)
		}
	}
	pub := registryPub(t, l.svc)
	l.stop()
	if rep := offlineReport(t, l.file(), pub); !rep.OK {
		t.Fatalf("offline audit verify: %+v", rep)
	}
	l.start(t)
	if err := l.svc.Ready(); err != nil {
		t.Fatal(err)
	}
}

// The registry dies in the middle of a key rotation (kill -9 of a real process) after
// passkeys were enrolled and removed: it finishes the rotation at the next start and serves,
// the passkeys intact; the offline audit verify agrees under the new key; and a passkey added
// offline afterwards is still refused.
func TestPasskeysSurviveCrashDuringKeyRotation(t *testing.T) {
	l := newLiveRegistry(t)
	seedAndSync(t, l)
	ctx := context.Background()
	p1, p2 := newPasskey(t), newPasskey(t)
	for _, p := range []trustregistry.Passkey{p1, p2} {
		if err := l.svc.AddPasskey(ctx, "alice", p); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.svc.RemovePasskey(ctx, "alice", p1.ID); err != nil {
		t.Fatal(err)
	}
	old, _ := l.svc.PublicKeyJWK()
	l.stop()
	killDuringRotation(t, l.dir)

	l.start(t)
	if err := l.svc.Ready(); err != nil {
		t.Fatalf("after the interrupted rotation: %v", err)
	}
	pub := registryPub(t, l.svc)
	if now, _ := l.svc.PublicKeyJWK(); string(now) == string(old) {
		t.Fatal("the rotation was not finished")
	}
	if pks, err := l.svc.Passkeys(ctx, "alice"); err != nil || len(pks) != 1 || string(pks[0].ID) != string(p2.ID) {
		t.Fatalf("alice's passkeys after the rotation: %+v %v", pks, err)
	}
	if err := l.svc.AddPasskey(ctx, "bob", newPasskey(t)); err != nil {
		t.Fatal(err)
	}
	l.stop()
	if rep := offlineReport(t, l.file(), pub); !rep.OK {
		t.Fatalf("offline audit verify under the new key: %+v", rep)
	}
	editAccount(t, l.file(), "alice", func(a map[string]any) { a["passkeys"] = append(a["passkeys"].([]any), passkeyJSON(t)) })
	if rep := offlineReport(t, l.file(), pub); rep.OK || rep.Object != "account/alice" {
		t.Fatalf("offline audit verify of a passkey added after the rotation: %+v", rep)
	}
}

// killDuringRotation runs a registry process on dir that starts a key rotation and kills it
// once the new key is stored (TestRotationChildProcess).
func killDuringRotation(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRotationChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "IDPORT_ROTATION_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	reached := false
	for sc.Scan() {
		if sc.Text() == "ROTATION-KEY-STORED" {
			reached = true
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !reached {
		t.Fatal("the child registry never reached the rotation")
	}
}

func snapshotSeq(t *testing.T, svc *trustregistry.Service) uint64 {
	t.Helper()
	rec, ok := svc.Snapshot()
	if !ok {
		t.Fatal("no snapshot")
	}
	return rec.Sequence
}
