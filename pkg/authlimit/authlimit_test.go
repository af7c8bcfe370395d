package authlimit_test

import (
	"testing"
	"time"

	"github.com/idport/idport/pkg/authlimit"
)

func TestFailuresOverBudgetUntilTheWindowEnds(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	l := authlimit.New(3, time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if _, over := l.Fail("addr 192.0.2.1", "token abc"); over {
			t.Fatalf("failure %d already over a budget of 3", i+1)
		}
	}
	left, over := l.Fail("addr 192.0.2.1")
	if !over || left != time.Minute {
		t.Fatalf("4th failure: over=%v retry after %v", over, left)
	}
	if _, over := l.Fail("addr 198.51.100.7"); over {
		t.Fatal("another address shares the first one's budget")
	}
	now = now.Add(time.Minute + time.Second)
	if _, over := l.Fail("addr 192.0.2.1"); over {
		t.Fatal("the budget did not reset with a new window")
	}
}
