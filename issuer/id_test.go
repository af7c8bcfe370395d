package issuer

import (
	"regexp"
	"testing"
	"time"
)

// TestNewIDIsAVersion7UUID: credential ids are RFC 9562 version 7 UUIDs (the layout, the
// version and the variant), distinct, and an id made in a later millisecond sorts after an
// earlier one, which is what keeps the store's credential log growing at its end.
func TestNewIDIsAVersion7UUID(t *testing.T) {
	layout := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	prev := newID()
	for range 1000 {
		id := newID()
		if !layout.MatchString(id) {
			t.Fatalf("%q is not a version 7 UUID URN", id)
		}
		if seen[id] {
			t.Fatalf("%q issued twice", id)
		}
		seen[id] = true
	}
	time.Sleep(2 * time.Millisecond)
	if later := newID(); later <= prev {
		t.Fatalf("an id of a later millisecond sorts first: %q before %q", later, prev)
	}
}
