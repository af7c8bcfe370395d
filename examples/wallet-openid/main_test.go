package main

import (
	"testing"

	"github.com/idport/idport/internal/storytest"
)

func TestWalletOpenID(t *testing.T) {
	storytest.Run(t, run,
		"presented over OpenID4VP: HTTP 200 verified, recognised as sg-demo-registrar in SG, uen mapped to registrationNumber=201912345K, registeredAddress withheld",
		"over-disclosure refused: HTTP 400 openid4vp_over_disclosure")
}
