package stack

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

// Deadline bounds one example run, so that a broken step fails instead of hanging.
const Deadline = time.Minute

// Main runs an example's run function with a deadline and Ctrl-C handling, and exits non-zero
// when it fails. Every example's main is this one call.
func Main(run func(ctx context.Context, w io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	ctx, cancel := context.WithTimeout(ctx, Deadline)
	err := run(ctx, os.Stdout)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nFAILED:", err)
		os.Exit(1)
	}
}

// Teller prints a story: numbered steps and what happened in each.
type Teller struct {
	// W receives the story.
	W io.Writer
	// Started, when set, is the story's start: each step then shows the time since.
	Started time.Time
	step    int
}

// Step starts a numbered step.
func (t *Teller) Step(format string, args ...any) {
	t.step++
	elapsed := ""
	if !t.Started.IsZero() {
		elapsed = fmt.Sprintf("  (t+%.1fs)", time.Since(t.Started).Seconds())
	}
	fmt.Fprintf(t.W, "\n[%d] %s%s\n", t.step, fmt.Sprintf(format, args...), elapsed)
}

// Steps is the number of steps started so far.
func (t *Teller) Steps() int { return t.step }

// Say prints one line of the current step.
func (t *Teller) Say(format string, args ...any) {
	fmt.Fprintf(t.W, "    "+format+"\n", args...)
}

// Line prints one line as it is, outside the steps' indentation.
func (t *Teller) Line(format string, args ...any) {
	fmt.Fprintf(t.W, format+"\n", args...)
}

// Outcome prints an outcome line: the lines the examples' tests assert.
func (t *Teller) Outcome(format string, args ...any) {
	fmt.Fprintf(t.W, "=> "+format+"\n", args...)
}

// Short abbreviates long identifiers (did:key values, tokens) for printing.
func Short(s string) string {
	if len(s) <= 56 {
		return s
	}
	return s[:36] + "..." + s[len(s)-12:]
}
