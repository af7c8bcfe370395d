package memstore_test

import (
	"testing"

	"github.com/idport/idport/issuer/internal/core"
	"github.com/idport/idport/issuer/internal/memstore"
	"github.com/idport/idport/issuer/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) core.Store { return memstore.New() }, nil)
}
