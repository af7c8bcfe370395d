package openid4vp_test

import (
	"testing"

	"github.com/idport/idport/verifier/openid4vp"
	"github.com/idport/idport/verifier/storetest"
)

func TestMemoryTransactionsConformance(t *testing.T) {
	storetest.RunTransactionStore(t, func(t *testing.T) openid4vp.TransactionStore { return openid4vp.NewMemoryTransactions() })
}
