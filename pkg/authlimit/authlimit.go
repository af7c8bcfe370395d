// Package authlimit counts failed authentications per key (a client address, a token id) in
// fixed windows, so a service can slow down guessing without ever locking out a valid
// credential: it only answers failed attempts, and a valid credential is checked and accepted
// whatever the counts. The registry's admin API and its web console share one Limiter, so
// guesses made through either count against the same budget. Standard library only.
package authlimit

import (
	"sync"
	"time"
)

// maxKeys bounds the memory a spray of addresses or token ids can take: past it, expired
// windows are dropped.
const maxKeys = 100000

// Limiter counts failures per key in fixed windows.
type Limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	keys   map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// New returns a Limiter that allows max failures per key within each window of length per. now is the clock
// (time.Now when nil).
func New(max int, per time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{max: max, window: per, now: now, keys: map[string]*window{}}
}

// Fail counts one failure against each key and reports whether one of them is over its budget,
// and how long until its window ends (for a Retry-After header).
func (l *Limiter) Fail(keys ...string) (retryAfter time.Duration, over bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.keys) > maxKeys {
		for k, w := range l.keys {
			if now.Sub(w.start) > l.window {
				delete(l.keys, k)
			}
		}
	}
	for _, k := range keys {
		w, ok := l.keys[k]
		if !ok || now.Sub(w.start) > l.window {
			w = &window{start: now}
			l.keys[k] = w
		}
		w.n++
		if w.n > l.max {
			over = true
			retryAfter = max(retryAfter, w.start.Add(l.window).Sub(now))
		}
	}
	return retryAfter, over
}
