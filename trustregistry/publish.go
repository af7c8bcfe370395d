package trustregistry

import (
	"context"
	"fmt"
	"time"
)

// Bounds of the deltas the registry keeps for replicas.
const (
	// MaxDeltas is the number of versions a replica may be behind and still catch up by
	// deltas.
	MaxDeltas = 4096
	// DefaultMaxDeltaBytes is the default of Config.MaxDeltaBytes.
	DefaultMaxDeltaBytes = 64 << 20
)

// deltaRec is one signed delta.
type deltaRec struct {
	version uint64
	jws     []byte
}

// wake wakes the long-polls of snapshots and deltas.
func (s *Service) wake() {
	s.notifyM.Lock()
	close(s.notify)
	s.notify = make(chan struct{})
	s.notifyM.Unlock()
}

// publishDeltaLocked signs the delta of a commit (base -> next) and wakes the long-polls. The
// deltas kept stay contiguous: one that cannot be signed drops them all, so a replica finds a
// gap and fetches the full snapshot instead.
func (s *Service) publishDeltaLocked(baseVersion uint64, baseDigest string, next *State, changes []Change, ck Checkpoint, ckJWS []byte) {
	d := NewDelta(s.cfg.Issuer, baseVersion, baseDigest, next, changes, ck, ckJWS, s.now(), s.cfg.SnapshotInterval)
	jws, err := SignDelta(s.key.Load(), d)
	s.deltaM.Lock()
	if err != nil {
		s.deltas, s.deltaBytes = nil, 0
		s.deltaM.Unlock()
		s.log.Error("signing the delta of a change; replicas will fetch the snapshot", "version", next.Version, "err", err)
		s.wake()
		return
	}
	if n := len(s.deltas); n > 0 && s.deltas[n-1].version != baseVersion {
		s.deltas, s.deltaBytes = nil, 0
	}
	s.deltas = append(s.deltas, deltaRec{version: next.Version, jws: jws})
	s.deltaBytes += len(jws)
	drop := 0
	for len(s.deltas)-drop > 1 && (len(s.deltas)-drop > MaxDeltas || s.deltaBytes > s.cfg.MaxDeltaBytes) {
		s.deltaBytes -= len(s.deltas[drop].jws)
		drop++
	}
	if drop > 0 {
		s.deltas = append([]deltaRec(nil), s.deltas[drop:]...)
	}
	s.deltaM.Unlock()
	s.wake()
}

// publishLocked publishes the full snapshot after an applied change: at once, or, with
// Config.SnapshotDelay, from a background timer that coalesces the changes until it fires.
func (s *Service) publishLocked(ctx context.Context) {
	if s.cfg.SnapshotDelay <= 0 {
		if _, err := s.issueLocked(ctx, nil); err != nil {
			s.log.Error("publishing snapshot after apply", "err", err)
		}
		return
	}
	if s.snapTimer != nil || s.closed {
		return
	}
	s.snapTimer = time.AfterFunc(s.cfg.SnapshotDelay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		s.snapTimer = nil
		if err := s.refreshLocked(context.Background(), false); err != nil {
			s.log.Error("publishing the snapshot of the latest changes", "err", err)
		}
	})
}

// Deltas returns up to limit signed deltas (compact JWS) leading from version after to the
// latest one, in order: none when after is the latest, ErrDeltaUnavailable when the registry
// does not hold an unbroken run from after (it was restarted since, after is too old, or ahead
// of the registry).
func (s *Service) Deltas(after uint64, limit int) ([][]byte, error) {
	if err := s.brokenErr(); err != nil {
		return nil, err
	}
	s.deltaM.RLock()
	defer s.deltaM.RUnlock()
	head := s.idx.Load().Version()
	n := len(s.deltas)
	if n > 0 {
		head = max(head, s.deltas[n-1].version)
	}
	switch {
	case after > head:
		return nil, fmt.Errorf("version %d is ahead of the registry's %d: %w", after, head, ErrDeltaUnavailable)
	case n > 0 && after == s.deltas[n-1].version, n == 0 && after == head:
		return nil, nil // nothing newer yet (a commit in flight publishes its delta next)
	case n == 0:
		return nil, fmt.Errorf("no deltas after version %d are kept: %w", after, ErrDeltaUnavailable)
	case after+1 < s.deltas[0].version:
		return nil, fmt.Errorf("the deltas kept start at version %d, after %d: %w", s.deltas[0].version, after, ErrDeltaUnavailable)
	}
	i := int(after + 1 - s.deltas[0].version)
	out := make([][]byte, 0, min(limit, n-i))
	for _, d := range s.deltas[i:] {
		if len(out) == limit {
			break
		}
		out = append(out, d.jws)
	}
	return out, nil
}

// WaitDeltas is Deltas waiting until there is at least one delta after version after, or ctx
// ends (then it returns none and no error: long-poll).
func (s *Service) WaitDeltas(ctx context.Context, after uint64, limit int) ([][]byte, error) {
	for {
		s.notifyM.Lock()
		ch := s.notify
		s.notifyM.Unlock()
		ds, err := s.Deltas(after, limit)
		if err != nil || len(ds) > 0 {
			return ds, err
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-ch:
		}
	}
}
