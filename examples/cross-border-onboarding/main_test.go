package main

import (
	"testing"

	"github.com/idport/idport/internal/storytest"
)

func TestCrossBorderOnboarding(t *testing.T) {
	storytest.Run(t, run,
		"refused: HTTP 403 issuer_not_authorised",
		"onboarded: HTTP 201 LingangBusinessRegistration",
		"evidence cites the Singapore credential's digest",
		"idempotent: HTTP 200, same credential true",
		"bank: HTTP 200 verified, issuer recognised as lg-demo-registrar, registrationNumber=201912345K",
		"refused: HTTP 403 foreign_credential_not_recognised [claim_not_allowed_across_border]",
		"current recognition authority_suspended",
		"refused: HTTP 403 foreign_credential_not_recognised [authority_suspended]")
}
