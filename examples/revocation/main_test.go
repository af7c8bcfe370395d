package main

import (
	"testing"

	"github.com/idport/idport/internal/storytest"
)

func TestRevocation(t *testing.T) {
	storytest.Run(t, run, "HTTP 400 revoked", "HTTP 400 suspended", "verified again after")
}
