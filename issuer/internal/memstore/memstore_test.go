package memstore_test

import (
	"testing"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/internal/memstore"
	"github.com/idport/idport/issuer/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) issuer.Store { return memstore.New() }, nil)
}

// TestOnboardingConformance: the in-memory onboarding store an issuer uses over a Store that
// has none of its own (this one).
func TestOnboardingConformance(t *testing.T) {
	storetest.RunOnboarding(t, func(*testing.T) (issuer.OnboardingStore, func() issuer.OnboardingStore) {
		return issuer.NewMemoryOnboarding(), nil
	})
}
