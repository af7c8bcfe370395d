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
