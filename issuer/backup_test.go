package issuer_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/pkg/boltkv"
)

func (e *env) backup(t *testing.T, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/admin/backup", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestOnlineBackupRestores: a backup taken over HTTP while credentials are being issued opens
// as bbolt; an issuer started on it keeps its keys (sealed: the secret is still needed) and
// never hands out again a status index that was in use when the backup was taken.
func TestOnlineBackupRestores(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	admin, err := e.svc.CreateAPIKey(ctx, "ops", issuer.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	typed, err := e.svc.CreateAPIKey(ctx, "hr", "PersonIdentity")
	if err != nil {
		t.Fatal(err)
	}
	// Refusals: no key or an unknown one 401, issuance keys ("*" included) 403; the admin key
	// cannot issue.
	for _, tc := range []struct {
		token  string
		status int
	}{{"", 401}, {"idpi_unknownkeyunknownkeyunknownkey", 401}, {e.token, 403}, {typed, 403}} {
		resp, body := e.backup(t, tc.token)
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("key %.12q: %d %s", tc.token, resp.StatusCode, body)
		}
	}
	if code, out, _ := e.post(t, "/credentials/issue", admin, map[string]any{"type": "PersonIdentity", "credentialSubject": person}); code != 403 {
		t.Fatalf("admin key issuing: %d %s", code, out)
	}

	var mu sync.Mutex
	used := map[string]bool{} // status entries handed out before the backup began
	var usedIDs []string
	// issue hands out n credentials from 8 goroutines (bbolt batches their commits).
	issue := func(svc *httpapi.Service, n int, into map[string]bool, ids *[]string) {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range n/8 + min(1, max(0, n%8-w)) {
					out, err := svc.Issuer().Issue(ctx, issuer.Request{Type: "PersonIdentity", Subject: person})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if into != nil {
						into[fmt.Sprint(out.Status.Set, "/", out.Status.Index)] = true
					}
					if ids != nil {
						*ids = append(*ids, out.ID)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	issue(e.svc, 300, used, &usedIDs)
	// Issuance goes on during the backup.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); issue(e.svc, 300, nil, nil) }()
	resp, body := e.backup(t, admin)
	wg.Wait()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="issuer-`) {
		t.Fatalf("%d %v %.200s", resp.StatusCode, resp.Header, body)
	}
	if d, err := boltkv.ParseReprDigest(resp.Header.Get(boltkv.HeaderReprDigest)); err != nil || d != sha256.Sum256(body) {
		t.Fatalf("Repr-Digest does not match the body: %v", err)
	}

	dir, _ := restoreCopy(t, body)
	cfg := e.cfg
	cfg.DataDir = dir
	wrong := cfg
	wrong.Secret = []byte("another secret, long enough to be accepted")
	if svc, err := open(wrong); err == nil {
		svc.Close()
		t.Fatal("restored keys opened with another secret: they are not sealed")
	}
	restored, err := open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	kids := func(s *httpapi.Service) (out []string) {
		for _, k := range s.Issuer().Keys() {
			out = append(out, k.KID)
		}
		return out
	}
	if !slices.Equal(kids(restored), kids(e.svc)) || restored.DID() != e.svc.DID() {
		t.Fatalf("restored keys %v (%s), live %v (%s)", kids(restored), restored.DID(), kids(e.svc), e.svc.DID())
	}
	// Every credential issued before the backup is in it (its status entry is therefore loaded
	// as allocated), and fresh issuance does not land on any of them.
	if len(used) != 300 {
		t.Fatalf("%d distinct entries issued before the backup, want 300", len(used))
	}
	for _, id := range usedIDs {
		if _, err := restored.Issuer().ChangeStatus(ctx, nil, id, issuer.ActionSuspend); err != nil {
			t.Fatalf("credential %s issued before the backup: %v", id, err)
		}
	}
	after := map[string]bool{}
	issue(restored, 2000, after, nil)
	for k := range after {
		if used[k] {
			t.Fatalf("restored issuer handed out status entry %s again", k)
		}
	}
}
