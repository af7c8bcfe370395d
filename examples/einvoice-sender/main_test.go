package main

import (
	"testing"

	"github.com/idport/idport/internal/storytest"
)

func TestEInvoiceSender(t *testing.T) {
	storytest.Run(t, run,
		"accepted: invoice from Merlion Trading Pte. Ltd., seller identifier SGUEN201912345K (scheme 0195), same company in both",
		"rejected: sender_mismatch",
		"rejected: participant credential revoked",
		"rejected: invoice authority_suspended")
}
