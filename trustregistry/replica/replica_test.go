package replica_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/replica"
)

const demoDID = "did:web:registrar.example.sg"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func snapshot(t testing.TB, k *keys.Key, seq uint64, s *trustregistry.State, next []byte) []byte {
	t.Helper()
	now := time.Now().UTC()
	ck, err := trustregistry.NewCheckpoint("t", s, trustregistry.GenesisHash, now)
	if err != nil {
		t.Fatal(err)
	}
	ckJWS, err := trustregistry.SignCheckpoint(k, ck)
	if err != nil {
		t.Fatal(err)
	}
	b, err := trustregistry.SignSnapshot(k, &trustregistry.Snapshot{Issuer: "t", Sequence: seq, Version: s.Version, IssuedAt: now, NextUpdate: now.Add(time.Hour), State: s, NextKey: next, Checkpoint: string(ckJWS)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func demo(t testing.TB) *trustregistry.State {
	s, _, err := trustregistry.Apply(trustregistry.NewState(), demoseed.ChangeSet(demoDID, time.Now().Add(-time.Hour)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pin(t testing.TB, k *keys.Key) []byte {
	b, err := k.PublicJWK()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAcceptRules(t *testing.T) {
	k, _ := keys.Generate(keys.EdDSA)
	s := demo(t)
	cache := filepath.Join(t.TempDir(), "sub", "cache.json")
	r, err := replica.New(replica.Config{PinnedKey: pin(t, k), CacheFile: cache, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ready() == nil || r.Status().Ready {
		t.Fatal("empty replica ready")
	}
	if ok, err := r.Accept(snapshot(t, k, 5, s, nil), nil); !ok || err != nil {
		t.Fatalf("accept 5: %v %v", ok, err)
	}
	if _, err := r.Accept(snapshot(t, k, 4, s, nil), nil); !errors.Is(err, replica.ErrOlder) {
		t.Fatalf("older: %v", err)
	}
	if ok, err := r.Accept(snapshot(t, k, 5, s, nil), nil); ok || err != nil {
		t.Fatalf("same sequence: %v %v", ok, err)
	}
	jws := snapshot(t, k, 6, s, nil)
	bad := bytes.Clone(jws)
	bad[len(bad)-5] ^= 2
	if _, err := r.Accept(bad, nil); !errors.Is(err, trustregistry.ErrSnapshot) {
		t.Fatalf("tampered: %v", err)
	}
	other, _ := keys.Generate(keys.EdDSA)
	if _, err := r.Accept(snapshot(t, other, 7, s, nil), nil); !errors.Is(err, trustregistry.ErrSnapshot) {
		t.Fatalf("unpinned key: %v", err)
	}
	if st := r.Status(); st.Sequence != 5 || !st.Ready {
		t.Fatalf("status %+v", st)
	}
	// Rotation: announced by the old key, then the new key signs.
	nk, _ := keys.Generate(keys.ES256)
	if ok, err := r.Accept(snapshot(t, k, 8, s, pin(t, nk)), nil); !ok || err != nil {
		t.Fatalf("rotation announcement: %v", err)
	}
	if _, err := r.Accept(snapshot(t, k, 9, s, nil), nil); !errors.Is(err, trustregistry.ErrSnapshot) {
		t.Fatalf("old key after rotation: %v", err)
	}
	if ok, err := r.Accept(snapshot(t, nk, 10, s, nil), nil); !ok || err != nil {
		t.Fatalf("new key: %v", err)
	}
	// The cache restores the rotated trust from the original pin.
	r2, err := replica.New(replica.Config{PinnedKey: pin(t, k), CacheFile: cache, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if st := r2.Status(); st.Sequence != 10 || !st.Ready {
		t.Fatalf("from cache: %+v", st)
	}
	d := r2.Decide(trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme})
	if !d.Recognised {
		t.Fatalf("%+v", d)
	}
	if d := r2.Decide(trustregistry.Query{Entity: demoDID, AsOfVersion: 7}); d.Code != trustregistry.CodeVersionUnknown {
		t.Fatalf("as of: %+v", d)
	}
	// A corrupted cache is ignored, not trusted.
	os.WriteFile(cache, []byte(`{"snapshot":"garbage"}`), 0o600)
	r3, _ := replica.New(replica.Config{PinnedKey: pin(t, k), CacheFile: cache, Logger: quiet})
	if r3.Ready() == nil {
		t.Fatal("garbage cache trusted")
	}
	// Offline from a raw JWS file.
	raw := filepath.Join(t.TempDir(), "snap.jws")
	os.WriteFile(raw, snapshot(t, k, 1, s, nil), 0o644)
	off, err := replica.FromSnapshotFile(raw, pin(t, k))
	if err != nil || off.Ready() != nil {
		t.Fatalf("offline: %v", err)
	}
	if _, err := replica.FromSnapshotFile(raw, pin(t, other)); err == nil {
		t.Fatal("offline file with the wrong pin")
	}
	if _, err := replica.New(replica.Config{PinnedKey: []byte(`{"kty":"oct","k":"AAAA"}`)}); err == nil {
		t.Fatal("symmetric pin accepted")
	}
}

// A registry without long-poll (always 200 with the latest) is polled at PollInterval.
func TestPollingFallback(t *testing.T) {
	k, _ := keys.Generate(keys.EdDSA)
	s := demo(t)
	var cur atomic.Pointer[[]byte]
	first := snapshot(t, k, 1, s, nil)
	cur.Store(&first)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/jose")
		w.Write(*cur.Load())
	}))
	defer srv.Close()
	r, _ := replica.New(replica.Config{URL: srv.URL, PinnedKey: pin(t, k), PollInterval: 20 * time.Millisecond, Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	for r.Status().Sequence != 1 {
		time.Sleep(5 * time.Millisecond)
	}
	second := snapshot(t, k, 2, s, nil)
	cur.Store(&second)
	for r.Status().Sequence != 2 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if hits.Load() < 2 {
		t.Fatalf("hits %d", hits.Load())
	}
}

func TestRegistryDownKeepsLastGood(t *testing.T) {
	k, _ := keys.Generate(keys.EdDSA)
	cache := filepath.Join(t.TempDir(), "c.json")
	r, _ := replica.New(replica.Config{URL: "http://127.0.0.1:1", PinnedKey: pin(t, k), CacheFile: cache, Logger: quiet, PollInterval: 10 * time.Millisecond})
	r.Accept(snapshot(t, k, 3, demo(t), nil), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r.Run(ctx)
	st := r.Status()
	if !st.Ready || st.Sequence != 3 || st.LastError == "" {
		t.Fatalf("status with registry down: %+v", st)
	}
}

// restartingRegistry serves good once it has answered the first failures requests with 503 (a
// registry restarting); hits returns when each request came.
func restartingRegistry(t *testing.T, good []byte, failures int) (url string, hits func() []time.Time) {
	var mu sync.Mutex
	var at []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at = append(at, time.Now())
		n := len(at)
		mu.Unlock()
		if n <= failures {
			http.Error(w, "restarting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/jose")
		w.Write(good)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(at)
	}
}

// awaitSequence runs r until it holds sequence seq, failing t after 30 s (hits tells how many
// attempts it made).
func awaitSequence(t *testing.T, r *replica.Replica, seq uint64, hits func() []time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go r.Run(ctx)
	for r.Status().Sequence != seq {
		if ctx.Err() != nil {
			t.Fatalf("not in sync after %d attempts: %+v", len(hits()), r.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRetryBacksOffFromRetryMin: a registry that fails (say, while it restarts) is tried
// again after RetryMin, not after the full poll interval, and the pauses double while it
// keeps failing. With a one-hour PollInterval, only the backoff can bring the replica in sync.
func TestRetryBacksOffFromRetryMin(t *testing.T) {
	k, _ := keys.Generate(keys.EdDSA)
	url, hits := restartingRegistry(t, snapshot(t, k, 1, demo(t), nil), 4)
	r, _ := replica.New(replica.Config{URL: url, PinnedKey: pin(t, k), Logger: quiet,
		PollInterval: time.Hour, RetryMin: 20 * time.Millisecond})
	awaitSequence(t, r, 1, hits)
	at := hits()
	// Pauses after failures 1..4: 20, 40, 80, 160 ms, each less up to a fifth of jitter.
	for i, want := range []time.Duration{20, 40, 80, 160} {
		got := at[i+1].Sub(at[i])
		if low := want * time.Millisecond * 4 / 5; got < low {
			t.Errorf("pause after failure %d: %v, want at least %v", i+1, got, low)
		}
	}
	if total := at[4].Sub(at[0]); total > 10*time.Second {
		t.Errorf("four retries took %v", total)
	}
}

func FuzzLoadFile(f *testing.F) {
	k, _ := keys.Generate(keys.EdDSA)
	f.Add(snapshot(f, k, 1, demo(f), nil))
	f.Add([]byte(`{"rotations":["x"],"snapshot":"a.b.c"}`))
	f.Add([]byte(`{`))
	dir := f.TempDir()
	pinned := pin(f, k)
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f")
		os.WriteFile(p, b, 0o600)
		r, err := replica.FromSnapshotFile(p, pinned)
		if err == nil && r.Index() == nil {
			t.Fatal("loaded without index")
		}
	})
}

// BenchmarkReplicaDecideHit is the verifier's path: staleness check plus index lookup, with
// 10,000 authorities and 50 schemes.
func BenchmarkReplicaDecideHit(b *testing.B) {
	k, _ := keys.Generate(keys.EdDSA)
	s, err := trustregistry.SyntheticState(10000, 50, time.Now().Add(-time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	r, _ := replica.New(replica.Config{PinnedKey: pin(b, k), Logger: quiet})
	if _, err := r.Accept(snapshot(b, k, 1, s, nil), nil); err != nil {
		b.Fatal(err)
	}
	q := trustregistry.Query{Entity: "did:web:authority-4242.example", CredentialType: "BusinessRegistration", LocalScheme: "scheme-0"}
	b.ReportAllocs()
	for b.Loop() {
		if d := r.Decide(q); !d.Recognised {
			b.Fatal(d.Code)
		}
	}
}

// TestRetryPausesCappedByPollInterval: a registry that fails a dozen times in a row is tried
// again within PollInterval each time, not after an ever doubling pause: doubling from 10 ms
// without the cap would wait about 40 s before the thirteenth attempt.
func TestRetryPausesCappedByPollInterval(t *testing.T) {
	k, _ := keys.Generate(keys.EdDSA)
	url, hits := restartingRegistry(t, snapshot(t, k, 1, demo(t), nil), 12)
	r, _ := replica.New(replica.Config{URL: url, PinnedKey: pin(t, k), Logger: quiet,
		PollInterval: 40 * time.Millisecond, RetryMin: 10 * time.Millisecond})
	start := time.Now()
	awaitSequence(t, r, 1, hits)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("12 failed syncs took %v to recover from, want pauses of at most 40 ms", took)
	}
}

// A registry rolled back to an older state (its file restored or cut) keeps numbering its
// snapshots: a later sequence carrying an older version must not take the replica back, e.g. to
// before a suspension.
func TestRollbackToAnOlderVersionIsRefused(t *testing.T) {
	k, _ := keys.Generate(keys.EdDSA)
	old := demo(t)
	suspended, _, err := trustregistry.Apply(old, trustregistry.SuspendAuthority(demoseed.AuthorityID, "key leaked", time.Now().Add(-time.Minute)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := replica.New(replica.Config{PinnedKey: pin(t, k), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Accept(snapshot(t, k, 5, suspended, nil), nil); !ok || err != nil {
		t.Fatalf("accept: %v %v", ok, err)
	}
	if _, err := r.Accept(snapshot(t, k, 6, old, nil), nil); !errors.Is(err, replica.ErrOlder) {
		t.Fatalf("rolled-back state under a newer sequence: %v", err)
	}
	d := r.Decide(trustregistry.Query{Entity: demoDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme})
	if d.Recognised || d.Code != trustregistry.CodeAuthoritySuspended || r.Status().Version != suspended.Version {
		t.Fatalf("after a rollback attempt: %+v %+v", d, r.Status())
	}
}
