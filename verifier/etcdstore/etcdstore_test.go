package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
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
