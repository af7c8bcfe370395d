package errs_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/idport/idport/pkg/errs"
)

var errNotFound = errs.New("not_found", "not found")

func TestSentinelMatchesEveryErrorOfItsCode(t *testing.T) {
	err := fmt.Errorf("loading: %w", errs.Wrap("not_found", "authority sg-acra not found", io.EOF))
	if !errors.Is(err, errNotFound) {
		t.Fatal("errors.Is does not see the sentinel through its code")
	}
	if !errors.Is(err, io.EOF) {
		t.Fatal("errors.Is does not see the cause")
	}
	if errors.Is(err, errs.New("other", "x")) {
		t.Fatal("a sentinel of another code matched")
	}
	if got := errs.CodeOf(err); got != "not_found" {
		t.Fatalf("CodeOf = %q", got)
	}
	if e := errs.As(err); e.Message != "authority sg-acra not found" {
		t.Fatalf("public message = %q; the cause must stay out of it", e.Message)
	}
}

func TestErrorfWrapsItsCause(t *testing.T) {
	err := errs.Errorf("invalid", "field %s: %w", "name", io.ErrUnexpectedEOF)
	if !errors.Is(err, io.ErrUnexpectedEOF) || err.Message != "field name: unexpected EOF" {
		t.Fatalf("Errorf = %#v", err)
	}
	if errs.CodeOf(io.EOF) != "" || errs.As(nil) != nil {
		t.Fatal("an uncoded error has a code")
	}
}

func TestWithFieldCopies(t *testing.T) {
	base := errs.New("invalid", "bad")
	withPath := base.WithField("path", "authorities[0].id")
	if base.Fields != nil || withPath.Fields["path"] != "authorities[0].id" {
		t.Fatal("WithField changed the original or lost the field")
	}
}
