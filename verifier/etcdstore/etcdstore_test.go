package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/internal/etcdtest"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/etcdstore"
	"github.com/idport/idport/verifier/openid4vp"
	"github.com/idport/idport/verifier/storetest"
)

var endpoint string

func TestMain(m *testing.M) {
	srv, err := etcdtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "verifier etcdstore test: start embedded etcd:", err)
		os.Exit(1)
	}
	endpoint = srv.Endpoint
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

var prefixes atomic.Int64

func open(t *testing.T, prefix string) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.Open(context.Background(), etcdstore.Config{Endpoints: []string{endpoint}, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func fresh(t *testing.T) *etcdstore.Store {
	return open(t, fmt.Sprintf("/idport-verifier-test/%d/", prefixes.Add(1)))
}

func TestChallengeConformance(t *testing.T) {
	storetest.RunChallengeStore(t, func(t *testing.T) verifier.ChallengeStore { return fresh(t) })
}

func TestTransactionConformance(t *testing.T) {
	storetest.RunTransactionStore(t, func(t *testing.T) openid4vp.TransactionStore { return fresh(t) })
}

// TestReplicasShareState: three stores on one prefix (three processes' views) accept each
// other's challenges once, share one transaction answer and one signing key.
func TestReplicasShareState(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("/idport-verifier-test/replicas-%d/", prefixes.Add(1))
	a, b, c := open(t, prefix), open(t, prefix), open(t, prefix)
	now := time.Now()
	ch, _, err := a.Issue(ctx, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Consume(ctx, ch, now); err != nil {
		t.Fatalf("a challenge issued by one replica, consumed on another: %v", err)
	}
	if err := c.Consume(ctx, ch, now); !errors.Is(err, verifier.ErrChallengeUsed) {
		t.Fatalf("second use on a third replica: %v, want ErrChallengeUsed", err)
	}
	if n, err := a.PurgeChallenges(ctx, now.Add(2*time.Minute)); err != nil || n != 1 {
		t.Fatalf("PurgeChallenges = %d, %v", n, err)
	}
	sealer, err := keys.NewSealer([]byte("a signing secret of enough bytes"))
	if err != nil {
		t.Fatal(err)
	}
	ka, err := a.SigningKey(ctx, sealer)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := c.SigningKey(ctx, sealer)
	if err != nil || ka.ID != kc.ID {
		t.Fatalf("replicas sign with different keys: %v %v (%v)", ka.ID, kc.ID, err)
	}
}

// TestConcurrentConsumeAcrossReplicas: one challenge consumed at once on
// three replicas, several times each: exactly one consume succeeds.
func TestConcurrentConsumeAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("/idport-verifier-test/race-%d/", prefixes.Add(1))
	replicas := []*etcdstore.Store{open(t, prefix), open(t, prefix), open(t, prefix)}
	now := time.Now()
	ch, _, err := replicas[0].Issue(ctx, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var won, used atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := replicas[i%len(replicas)].Consume(ctx, ch, now); {
			case err == nil:
				won.Add(1)
			case errors.Is(err, verifier.ErrChallengeUsed):
				used.Add(1)
			default:
				t.Errorf("consume: %v", err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || used.Load() != 11 {
		t.Fatalf("%d consumes succeeded and %d were refused as used, want 1 and 11", won.Load(), used.Load())
	}
}

// TestPurgeOnAFastClock: a replica whose clock runs ahead purges used
// challenges; a replica whose clock still sees such a challenge as live
// must still find it used (replay across replicas with clock skew).
func TestPurgeOnAFastClock(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("/idport-verifier-test/skew-%d/", prefixes.Add(1))
	slow, fast := open(t, prefix), open(t, prefix)
	now := time.Now()
	ch, exp, err := slow.Issue(ctx, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := slow.Consume(ctx, ch, now); err != nil {
		t.Fatal(err)
	}
	// The fast replica's clock is 5 s ahead: it sees the challenge expired 3 s ago.
	if _, err := fast.PurgeChallenges(ctx, exp.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	// The slow replica's clock: the challenge has 2 s to live.
	if err := slow.Consume(ctx, ch, exp.Add(-2*time.Second)); !errors.Is(err, verifier.ErrChallengeUsed) {
		t.Fatalf("replay after a purge by a replica with a fast clock: %v, want ErrChallengeUsed", err)
	}
	// Long after the tolerated skew, the record goes.
	if n, err := fast.PurgeChallenges(ctx, exp.Add(etcdstore.PurgeGrace)); err != nil || n != 1 {
		t.Fatalf("PurgeChallenges past the grace = %d, %v, want 1", n, err)
	}
}

// TestConcurrentCompleteAcrossReplicas: one transaction answered at once
// on three replicas, several times each: exactly one answer is recorded.
func TestConcurrentCompleteAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	prefix := fmt.Sprintf("/idport-verifier-test/answer-%d/", prefixes.Add(1))
	replicas := []*etcdstore.Store{open(t, prefix), open(t, prefix), open(t, prefix)}
	now := time.Now()
	tx := &openid4vp.Transaction{ID: openid4vp.NewTransactionID(), Request: openid4vp.Request{
		ResponseMode: openid4vp.DirectPost, Nonce: "n", State: "s", Created: now, Expires: now.Add(time.Minute)}}
	if err := replicas[0].Create(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var won, done atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := replicas[i%len(replicas)].Complete(ctx, tx.ID, []byte(fmt.Sprintf(`{"answer":%d}`, i)), now); {
			case err == nil:
				won.Add(1)
			case errors.Is(err, openid4vp.ErrTransactionDone):
				done.Add(1)
			default:
				t.Errorf("complete: %v", err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || done.Load() != 11 {
		t.Fatalf("%d answers recorded and %d refused as done, want 1 and 11", won.Load(), done.Load())
	}
	got, err := replicas[2].Get(ctx, tx.ID, now)
	if err != nil || !got.Done || len(got.Result) == 0 {
		t.Fatalf("answered transaction read on another replica: %+v, %v", got, err)
	}
}
