package replica

import (
	"testing"
	"time"
)

// TestRetryPauseBounds: the pause doubles from the first one, never exceeds the longest, never
// drops below four fifths of its target, and a long run of failures or a large first pause
// cannot overflow it into a negative or zero wait.
func TestRetryPauseBounds(t *testing.T) {
	for _, c := range []struct {
		first, longest time.Duration
		failures       int
		want           time.Duration
	}{
		{time.Second, 30 * time.Second, 0, time.Second},
		{time.Second, 30 * time.Second, 3, 8 * time.Second},
		{time.Second, 30 * time.Second, 5, 30 * time.Second},
		{time.Second, 30 * time.Second, 1000, 30 * time.Second},
		{10 * time.Second, time.Hour, 40, time.Hour},
		{20 * time.Second, time.Hour, 29, time.Hour},
		{time.Hour, 2 * time.Hour, 62, 2 * time.Hour},
	} {
		for range 100 {
			got := retryPause(c.first, c.longest, c.failures)
			if got > c.want || got < c.want*4/5 {
				t.Fatalf("retryPause(%v, %v, %d) = %v, want within [%v, %v]", c.first, c.longest, c.failures, got, c.want*4/5, c.want)
			}
		}
	}
}
