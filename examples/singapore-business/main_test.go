package main

import (
	"testing"

	"github.com/idport/idport/internal/storytest"
)

func TestSingaporeBusiness(t *testing.T) {
	storytest.Run(t, run,
		"accepted: HTTP 200, issuer recognised as sg-demo-registrar in SG, uen mapped to registrationNumber=201912345K",
		"rejected: HTTP 400 signature_invalid")
}
