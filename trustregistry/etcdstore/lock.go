package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// ErrNotLeader reports a write refused because this store's Lock is no longer held (its lease
// expired or another process took the lock): the process must stop writing.
var ErrNotLeader = errors.New("etcdstore: registry write lock lost")

// fence is the condition every write of a locked store carries: the lock key is still ours.
type fence struct {
	cmp clientv3.Cmp
	key string
}

// write commits ops when conds hold (and, under a Lock, the lock is still held). ok is false
// when a condition failed; err is ErrNotLeader when the lock was the reason.
func (s *Store) write(ctx context.Context, conds []clientv3.Cmp, ops ...clientv3.Op) (ok bool, err error) {
	f := s.fence.Load()
	var orElse []clientv3.Op
	if f != nil {
		conds = append(conds[:len(conds):len(conds)], f.cmp)
		orElse = append(orElse, clientv3.OpGet(f.key, clientv3.WithCountOnly()))
	}
	r, err := s.cli.Txn(ctx).If(conds...).Then(ops...).Else(orElse...).Commit()
	if err != nil {
		return false, err
	}
	if !r.Succeeded && f != nil && r.Responses[0].GetResponseRange().Count == 0 {
		return false, ErrNotLeader
	}
	return r.Succeeded, nil
}

// Lock is the single-writer lock of one registry prefix: an etcd mutex bound to a lease that
// the client keeps alive. While it is held, every write of the store is fenced by it, so a
// process that lost the lock (paused past its lease, partitioned away) can no longer write.
type Lock struct {
	s    *Store
	sess *concurrency.Session
	mu   *concurrency.Mutex
}

// Lock blocks until this process holds the registry's write lock under the prefix (or ctx
// ends). ttl is the lease time after which a dead holder's lock passes on (at least 1s).
// Several registry processes on one prefix thus run as one active writer and hot standbys.
func (s *Store) Lock(ctx context.Context, ttl time.Duration) (*Lock, error) {
	secs := int(ttl / time.Second)
	if secs < 1 {
		secs = 1
	}
	sess, err := concurrency.NewSession(s.cli, concurrency.WithTTL(secs))
	if err != nil {
		return nil, fmt.Errorf("etcdstore: lease for the write lock: %w", err)
	}
	mu := concurrency.NewMutex(sess, s.key("lock"))
	if err := mu.Lock(ctx); err != nil {
		sess.Close()
		return nil, fmt.Errorf("etcdstore: take the write lock: %w", err)
	}
	s.fence.Store(&fence{cmp: mu.IsOwner(), key: mu.Key()})
	return &Lock{s: s, sess: sess, mu: mu}, nil
}

// Lost is closed when the lock's lease ends (expired, revoked or the client closed).
func (l *Lock) Lost() <-chan struct{} { return l.sess.Done() }

// Unlock releases the lock and its lease; the store's later writes are no longer fenced.
func (l *Lock) Unlock(ctx context.Context) error {
	l.s.fence.Store(nil)
	err := l.mu.Unlock(ctx)
	if cerr := l.sess.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("etcdstore: release the write lock: %w", err)
	}
	return nil
}
