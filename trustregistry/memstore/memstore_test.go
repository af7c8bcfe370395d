package memstore_test

import (
	"testing"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/memstore"
	"github.com/idport/idport/trustregistry/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) trustregistry.Store { return memstore.New() })
}
