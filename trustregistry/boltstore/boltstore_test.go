package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	"github.com/idport/idport/trustregistry/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) trustregistry.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "registry.db"), boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
