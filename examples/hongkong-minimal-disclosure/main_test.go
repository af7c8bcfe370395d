package main

import (
	"testing"

	"github.com/idport/idport/internal/storytest"
)

func TestHongKongMinimalDisclosure(t *testing.T) {
	storytest.Run(t, run,
		"minimal disclosure accepted: HTTP 200, recognised as hk-immd (HK)",
		"over-disclosure refused: HTTP 400 claim_not_allowed_across_border")
}
