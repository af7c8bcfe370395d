package main

import (
	"testing"

	"github.com/idport/idport/internal/storytest"
)

func TestReciprocity(t *testing.T) {
	storytest.Run(t, run, "verified abroad from the snapshot file: issuer lg-admin-bureau recognised by sg.corporate", "altered snapshot refused")
}
