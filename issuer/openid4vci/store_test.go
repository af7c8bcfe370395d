package openid4vci_test

import (
	"testing"

	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/issuer/storetest"
)

func TestMemStoreConformance(t *testing.T) {
	storetest.RunOpenID4VCI(t, func(*testing.T) storetest.VCIStores {
		return storetest.VCIStores{VCI: openid4vci.NewMemStore()}
	})
}
