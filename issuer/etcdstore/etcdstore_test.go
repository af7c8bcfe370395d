package etcdstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

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
