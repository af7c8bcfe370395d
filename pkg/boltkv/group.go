package boltkv

import (
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Group commits the writes of concurrent callers together: group commit over one bbolt file.
// Each Do returns only after the read-write transaction that carries its function is committed
// (written and fsynced, as db.Update does), so sharing a transaction never weakens durability.
//
// It differs from bbolt's db.Batch in when a batch closes. db.Batch closes a batch when its
// timer fires, even while the previous batch still holds the writer lock, so under load small
// batches queue behind each other's fsyncs. A Group keeps collecting while a commit runs: the
// next batch is everything that arrived meanwhile (up to the size NewGroup was given), taken
// as soon as the committer is free. Before it commits, the committer also waits up to the
// linger for more writes, and stops waiting as soon as none arrived within a few times the
// usual time between writes. Busy, batches grow with the load and the commits (and their
// fsyncs) per write fall; idle, a lone write waits at most the linger.
//
// The caller whose write is first in line commits the batch in its own goroutine, then hands
// the next batch to the first caller still waiting; no goroutine outlives the calls.
type Group struct {
	db      *bolt.DB
	maxSize int
	linger  time.Duration

	mu        sync.Mutex
	pending   []*groupCall
	busy      bool          // a caller is committing or about to (pending non-empty implies busy)
	lingering bool          // the committer waits for more writes
	arrived   chan struct{} // tells a lingering committer that a write arrived
	last      time.Time     // the latest arrival
	spacing   time.Duration // moving average of the time between arrivals
}

type groupCall struct {
	fn      func(*bolt.Tx) error
	arrived time.Time
	done    chan error    // the outcome, once
	lead    chan struct{} // this caller commits the next batch
}

// errTrySolo tells a caller that its function failed inside a shared transaction: it runs
// again in a transaction of its own, so that the error it sees is its own and not the effect
// of another write of the batch (as db.Batch does).
var errTrySolo = errors.New("boltkv: run the write in its own transaction")

// NewGroup returns a Group over db that puts at most maxSize writes in one transaction
// (<= 0: 1024) and lets the first write of a batch wait up to linger for others when no
// commit is running (0: commit at once; batches then grow only while commits run).
func NewGroup(db *bolt.DB, maxSize int, linger time.Duration) *Group {
	if maxSize <= 0 {
		maxSize = 1024
	}
	return &Group{db: db, maxSize: maxSize, linger: max(linger, 0), arrived: make(chan struct{}, 1)}
}

// Do runs fn in a read-write transaction, shared with other callers' functions, and returns
// once it is committed, or the error of fn (run alone, see db.Batch) or of the commit. fn may
// run more than once (when another function of its batch fails) and must not depend on
// running once, exactly as with db.Batch.
func (g *Group) Do(fn func(*bolt.Tx) error) error {
	c := &groupCall{fn: fn, arrived: time.Now(), done: make(chan error, 1), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, c)
	if !g.last.IsZero() {
		d := min(c.arrived.Sub(g.last), g.linger)
		g.spacing += (d - g.spacing) / 8
	}
	g.last = c.arrived
	switch {
	case !g.busy:
		g.busy = true
		c.lead <- struct{}{}
	case g.lingering:
		select {
		case g.arrived <- struct{}{}:
		default:
		}
	}
	g.mu.Unlock()
	for {
		select {
		case err := <-c.done:
			if errors.Is(err, errTrySolo) {
				return g.db.Update(fn)
			}
			return err
		case <-c.lead:
			g.commitNext()
		}
	}
}

// commitNext runs by the caller first in line: it lingers for more writes (see lingerLocked),
// commits the batch, and hands the next one on.
func (g *Group) commitNext() {
	g.mu.Lock()
	g.lingerLocked()
	n := min(len(g.pending), g.maxSize)
	batch := make([]*groupCall, n)
	copy(batch, g.pending)
	rest := copy(g.pending, g.pending[n:])
	clear(g.pending[rest:])
	g.pending = g.pending[:rest]
	g.mu.Unlock()

	g.commit(batch)

	g.mu.Lock()
	if len(g.pending) > 0 {
		g.pending[0].lead <- struct{}{}
	} else {
		g.busy = false
	}
	g.mu.Unlock()
}

// minGap is the shortest wait for a next write while lingering.
const minGap = 100 * time.Microsecond

// lingerLocked waits, with g.mu held on entry and return, for more writes to join the batch:
// until the batch is full, the first write has waited Linger, or no write arrived within a
// few times the usual time between writes. The last condition ends the wait early when every
// writer in flight has arrived (a closed loop of clients, all waiting for this commit), so
// that the linger does not leave the processor idle.
func (g *Group) lingerLocked() {
	deadline := g.pending[0].arrived.Add(g.linger)
	var t *time.Timer
	for len(g.pending) < g.maxSize {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		wait := min(max(3*g.spacing, minGap), left)
		n := len(g.pending)
		select { // drop a signal of a write already counted in n
		case <-g.arrived:
		default:
		}
		g.lingering = true
		g.mu.Unlock()
		if t == nil {
			t = time.NewTimer(wait)
		} else {
			t.Reset(wait)
		}
		select {
		case <-g.arrived:
			t.Stop()
		case <-t.C:
		}
		g.mu.Lock()
		g.lingering = false
		if len(g.pending) == n {
			break // nothing arrived within the wait
		}
	}
}

// commit runs the functions of calls in one transaction and tells each its outcome; a
// function that fails is taken out and told to run alone, and the others run again.
func (g *Group) commit(calls []*groupCall) {
	for len(calls) > 0 {
		failed := -1
		err := g.db.Update(func(tx *bolt.Tx) error {
			for i, c := range calls {
				if err := safelyCall(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].done <- errTrySolo
			calls = append(calls[:failed], calls[failed+1:]...)
			continue
		}
		for _, c := range calls {
			c.done <- err
		}
		return
	}
}

// safelyCall runs fn, turning a panic into an error (the caller's goroutine then sees it when
// its function runs alone, where the panic is its own).
func safelyCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("boltkv: write function panicked: %v", p)
		}
	}()
	return fn(tx)
}
