package main

import (
	"testing"

	"github.com/idport/idport/internal/storytest"
)

func TestRegulatorSuspension(t *testing.T) {
	storytest.Run(t, run,
		"maker-checker: dora cannot approve her own proposal (HTTP 403 self_approval)",
		"rejected: HTTP 400 authority_suspended",
		"as known at version 2: authorized=true code=recognised",
		"as known at version 4: authorized=false code=authority_suspended",
		"audit chain intact: 4 records")
}
