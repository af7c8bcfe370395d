package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/issuer/storetest"
)

func TestConformance(t *testing.T) {
	open := func(t *testing.T, path string) issuer.Store {
		s, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	storetest.Run(t, func(t *testing.T) issuer.Store {
		return open(t, filepath.Join(t.TempDir(), "issuer.db"))
	}, func(t *testing.T, s issuer.Store) issuer.Store {
		path := s.(*boltstore.Store).DB().Path()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return open(t, path)
	})
}

// TestOpenID4VCIConformance: the OpenID4VCI state in the issuer's bbolt file, recording the
// engine's issuance records in the same transactions.
func TestOpenID4VCIConformance(t *testing.T) {
	storetest.RunOpenID4VCI(t, func(t *testing.T) storetest.VCIStores {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "issuer.db"), boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return storetest.VCIStores{VCI: s.(*boltstore.Store).OpenID4VCIStore(), Engine: s}
	})
}

// TestOnboardingConformance: onboarding records in the issuer's bbolt file, across a reopen.
func TestOnboardingConformance(t *testing.T) {
	open := func(t *testing.T, path string) *boltstore.Store {
		s, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s.(*boltstore.Store)
	}
	storetest.RunOnboarding(t, func(t *testing.T) (issuer.OnboardingStore, func() issuer.OnboardingStore) {
		path := filepath.Join(t.TempDir(), "issuer.db")
		s := open(t, path)
		return s.OnboardingStore(), func() issuer.OnboardingStore {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, path).OnboardingStore()
		}
	})
}
