package did

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Default caps of a FetchLimiter built with zero values.
const (
	// DefaultMaxInFlight bounds concurrent outbound fetches of one fetcher.
	DefaultMaxInFlight = 64
	// DefaultMaxInFlightPerHost bounds concurrent outbound fetches of one
	// fetcher to one host.
	DefaultMaxInFlightPerHost = 4
)

// FetchLimiter caps concurrent outbound fetches overall and per host, so
// that a burst of credentials pointing at one host (or at many) cannot make
// a verifier open an unbounded number of connections. Identical fetches
// are not its business: callers single-flight them first. It is safe for
// concurrent use.
type FetchLimiter struct {
	total   chan struct{}
	perHost int

	mu    sync.Mutex
	hosts map[string]*hostSlots
}

type hostSlots struct {
	slots chan struct{}
	users int // holders and waiters; the entry is dropped at zero
}

// NewFetchLimiter returns a limiter allowing total fetches at once, at most
// perHost of them to one host (defaults when 0 or negative).
func NewFetchLimiter(total, perHost int) *FetchLimiter {
	if total <= 0 {
		total = DefaultMaxInFlight
	}
	if perHost <= 0 {
		perHost = DefaultMaxInFlightPerHost
	}
	return &FetchLimiter{total: make(chan struct{}, total), perHost: min(perHost, total), hosts: map[string]*hostSlots{}}
}

// Acquire waits for a slot for host (case-insensitive, port included) and
// for an overall slot, until ctx ends. The returned release must be called
// once the fetch, body included, is done.
func (l *FetchLimiter) Acquire(ctx context.Context, host string) (release func(), err error) {
	host = strings.ToLower(host)
	l.mu.Lock()
	h := l.hosts[host]
	if h == nil {
		h = &hostSlots{slots: make(chan struct{}, l.perHost)}
		l.hosts[host] = h
	}
	h.users++
	l.mu.Unlock()
	drop := func() {
		l.mu.Lock()
		if h.users--; h.users == 0 {
			delete(l.hosts, host)
		}
		l.mu.Unlock()
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		drop()
		return nil, fmt.Errorf("too many fetches in flight to %s: %w", host, ctx.Err())
	}
	select {
	case l.total <- struct{}{}:
	case <-ctx.Done():
		<-h.slots
		drop()
		return nil, fmt.Errorf("too many fetches in flight: %w", ctx.Err())
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.total
			<-h.slots
			drop()
		})
	}, nil
}
