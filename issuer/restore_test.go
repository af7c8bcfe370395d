package issuer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/pkg/boltkv"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// issued hands out n PersonIdentity credentials and returns their status entries by id.
func issued(t *testing.T, svc *httpapi.Service, n int) map[string]issuer.Issued {
	t.Helper()
	out := map[string]issuer.Issued{}
	for range n {
		c, err := svc.Issuer().Issue(context.Background(), issuer.Request{Type: "PersonIdentity", Subject: person})
		if err != nil {
			t.Fatal(err)
		}
		out[c.ID] = *c
	}
	return out
}

func entries(cs map[string]issuer.Issued) (refs map[string]bool, sets map[uint32]bool) {
	refs, sets = map[string]bool{}, map[uint32]bool{}
	for _, c := range cs {
		refs[fmt.Sprint(c.Status.Set, "/", c.Status.Index)] = true
		sets[c.Status.Set] = true
	}
	return refs, sets
}

// restoreCopy writes a downloaded backup as issuer.db of a fresh data directory and checks
// every bbolt page of it.
func restoreCopy(t *testing.T, body []byte) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, boltstore.DBFile)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := boltkv.CheckFile(path); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func marker(t *testing.T, path string) bool {
	t.Helper()
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := st.(*boltstore.Store).Restored()
	if err != nil {
		t.Fatal(err)
	}
	return m != nil
}

// TestRestoredBackupNeverReusesIndexes: an issuer restored from an older backup does not know
// the credentials issued after it, yet none of its new credentials gets a status entry any of
// those has: the backup copy carries a marker, and the restored issuer closes every list it
// knows and allocates in a fresh list generation, once.
func TestRestoredBackupNeverReusesIndexes(t *testing.T) {
	ctx := context.Background()
	e := start(t, nil)
	admin, err := e.svc.CreateAPIKey(ctx, "ops", issuer.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	before := issued(t, e.svc, 40)
	resp, body := e.backup(t, admin)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("backup: %d %.200s", resp.StatusCode, body)
	}
	if d, err := boltkv.ParseReprDigest(resp.Header.Get(boltkv.HeaderReprDigest)); err != nil || d != sha256.Sum256(body) {
		t.Fatalf("Repr-Digest does not match the marked bytes served: %v", err)
	}
	after := issued(t, e.svc, 400) // N: forgotten by the restore
	afterRefs, _ := entries(after)
	_, beforeSets := entries(before)

	dir, path := restoreCopy(t, body)
	if !marker(t, path) {
		t.Fatal("the backup copy carries no restored-from-backup marker")
	}
	logs := &syncBuffer{}
	cfg := e.cfg
	cfg.DataDir = dir
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	restored, err := open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "RESTORED FROM BACKUP") || !strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Fatalf("no loud log of the rotation: %s", logs)
	}
	fresh := issued(t, restored, 400) // M
	freshRefs, freshSets := entries(fresh)
	for r := range freshRefs {
		if afterRefs[r] {
			t.Fatalf("restored issuer handed out %s again (the live issuer gave it after the backup)", r)
		}
	}
	for s := range freshSets {
		if beforeSets[s] {
			t.Fatalf("restored issuer allocated in list %d, which it knew from the copy", s)
		}
	}
	// The old lists are still published, and the credentials the copy knows still change status.
	for s := range beforeSets {
		for _, name := range []string{fmt.Sprint("revocation-", s), fmt.Sprint("suspension-", s)} {
			if _, err := restored.Issuer().BitstringList(ctx, name); err != nil {
				t.Fatalf("old list %s: %v", name, err)
			}
		}
		if _, err := restored.Issuer().TokenList(ctx, fmt.Sprint(s)); err != nil {
			t.Fatalf("old token list %d: %v", s, err)
		}
	}
	for id := range before {
		if _, err := restored.Issuer().ChangeStatus(ctx, nil, id, issuer.ActionRevoke); err != nil {
			t.Fatalf("revoking %s, issued before the backup: %v", id, err)
		}
		break
	}
	if err := restored.Close(); err != nil {
		t.Fatal(err)
	}
	if marker(t, path) {
		t.Fatal("the restored issuer left the marker in place")
	}

	// A second start is an ordinary restart: same generation, no second rotation.
	again, err := open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if n := strings.Count(logs.String(), "RESTORED FROM BACKUP"); n != 1 {
		t.Fatalf("rotation logged %d times over two starts", n)
	}
	_, moreSets := entries(issued(t, again, 50))
	for s := range moreSets {
		if !freshSets[s] {
			t.Fatalf("restart moved allocation to list %d (had %v)", s, freshSets)
		}
	}

	// The live file never carries the marker.
	e.srv.Close()
	if err := e.svc.Close(); err != nil {
		t.Fatal(err)
	}
	if marker(t, filepath.Join(e.dir, boltstore.DBFile)) {
		t.Fatal("the live database carries the restored-from-backup marker")
	}
}
