package httpx

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// ReadyWatch wraps a readiness check and logs every change of readiness: one line when the
// service becomes ready, one warning with the reason when it stops being ready (and when the
// reason changes while it is not). Use Check as the engine's Ready and Run it, so that changes
// are logged even when nobody probes /readyz.
type ReadyWatch struct {
	name   string
	check  func() error
	logger *slog.Logger

	mu     sync.Mutex
	known  bool
	ready  bool
	reason string
}

// DefaultReadyPoll is how often Run re-evaluates readiness.
const DefaultReadyPoll = 5 * time.Second

// NewReadyWatch returns a watch of check (nil: always ready) for the service name.
func NewReadyWatch(name string, check func() error, logger *slog.Logger) *ReadyWatch {
	if logger == nil {
		logger = slog.Default()
	}
	return &ReadyWatch{name: name, check: check, logger: logger}
}

// SetCheck replaces the check (for a service whose check exists only after its handler, which
// needs Check, was built).
func (w *ReadyWatch) SetCheck(check func() error) {
	w.mu.Lock()
	w.check = check
	w.mu.Unlock()
}

// Check evaluates readiness, logs a change, and returns the check's error.
func (w *ReadyWatch) Check() error {
	w.mu.Lock()
	check := w.check
	w.mu.Unlock()
	var err error
	if check != nil {
		err = check()
	}
	reason := ""
	if err != nil {
		reason = err.Error()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.known && w.ready == (err == nil) && w.reason == reason {
		return err
	}
	wasReady := w.known && w.ready
	w.known, w.ready, w.reason = true, err == nil, reason
	if err == nil {
		w.logger.Info("readiness changed: ready", "service", w.name)
	} else {
		w.logger.Warn("readiness changed: not ready", "service", w.name, "reason", reason, "was_ready", wasReady)
	}
	return err
}

// Run re-evaluates readiness every interval (DefaultReadyPoll when 0) until ctx ends.
func (w *ReadyWatch) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultReadyPoll
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	_ = w.Check()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_ = w.Check()
		}
	}
}
