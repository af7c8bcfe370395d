package etcdstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idport/idport/internal/etcdtest"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/etcdstore"
	"github.com/idport/idport/issuer/storetest"
)

// endpoint is the client URL of the one embedded etcd server of this test binary.
var endpoint string

func TestMain(m *testing.M) {
	srv, err := etcdtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "issuer etcdstore test: start embedded etcd:", err)
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

// fresh opens a store under a prefix no other test uses, so it starts empty.
func fresh(t *testing.T) *etcdstore.Store {
	return open(t, fmt.Sprintf("/idport-issuer-test/%d/", prefixes.Add(1)))
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) issuer.Store { return fresh(t) }, func(t *testing.T, s issuer.Store) issuer.Store {
		prefix := s.(*etcdstore.Store).Prefix()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return open(t, prefix)
	})
}

// TestOnboardingConformance: onboarding records under the store's prefix, read again by a
// store opened anew on the same prefix.
func TestOnboardingConformance(t *testing.T) {
	storetest.RunOnboarding(t, func(t *testing.T) (issuer.OnboardingStore, func() issuer.OnboardingStore) {
		s := fresh(t)
		return s.OnboardingStore(), func() issuer.OnboardingStore {
			prefix := s.Prefix()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, prefix).OnboardingStore()
		}
	})
}

func TestOpenID4VCIConformance(t *testing.T) {
	storetest.RunOpenID4VCI(t, func(t *testing.T) storetest.VCIStores {
		s := fresh(t)
		return storetest.VCIStores{VCI: s.OpenID4VCIStore(), Engine: s}
	})
}

// TestOpenID4VCIPurgeDropsLegacyNonces: the records of issued c_nonces an older version wrote
// are deleted by the first Purge; the used-nonce records are kept until they expire.
func TestOpenID4VCIPurgeDropsLegacyNonces(t *testing.T) {
	ctx := context.Background()
	s := fresh(t)
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	legacy := s.Prefix() + "vci/nonce/old-nonce"
	if _, err := cli.Put(ctx, legacy, "1"); err != nil {
		t.Fatal(err)
	}
	vci := s.OpenID4VCIStore()
	if _, err := vci.Purge(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := cli.Get(ctx, legacy)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count != 0 {
		t.Fatal("a legacy c_nonce record survives a purge")
	}
	if _, err := vci.Purge(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
}
