package issuer

import (
	"context"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// Refresh reloads from the Store what other issuer processes sharing it may have changed:
// signing keys (a rotation), API keys (created, rotated or revoked), and status entries
// (allocations and state changes, so that this process's status lists show them). Issuers
// that share one Store (issuer/etcdstore) call it periodically (Follow); an issuer alone on
// its Store never needs it.
func (is *Issuer) Refresh(ctx context.Context) error {
	is.refreshing.Lock() // one reload at a time (see statusTable.startRefresh)
	defer is.refreshing.Unlock()
	if err := is.ring.load(ctx); err != nil {
		return err
	}
	if err := is.apiKeys.load(ctx); err != nil {
		return err
	}
	is.status.startRefresh()
	defer is.status.endRefresh()
	if err := is.cfg.Store.LoadStatus(ctx, is.status.refresh); err != nil {
		return errs.Wrap(CodeStore, "store failed: reloading status entries", err)
	}
	return nil
}

// Follow calls Refresh every interval until ctx ends; a failed refresh is logged and retried
// at the next tick (the issuer keeps serving what it has).
func (is *Issuer) Follow(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := is.Refresh(ctx); err != nil && ctx.Err() == nil {
				is.log.Warn("refreshing the issuer's state from its store", "err", err)
			}
		}
	}
}

// startRefresh starts recording the state changes made here while a reload reads the store
// (one reload at a time: Issuer.Refresh serialises them).
func (t *statusTable) startRefresh() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reloading = map[StatusRef]bool{}
}

// endRefresh stops recording: the next reload reads every change made so far.
func (t *statusTable) endRefresh() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reloading = nil
}

// refresh records a stored entry: allocated here too, in the stored state (a changed state
// bumps the set's version so that its status lists are signed again). The read may predate a
// change made here since the reload started: such an entry keeps the state set here, and a
// revoked entry stays revoked (revocation is final).
func (t *statusTable) refresh(ref StatusRef, st State) error {
	if ref.Set == 0 || ref.Index >= ListSize {
		return errs.Errorf(CodeStore, "store failed: stored status entry %d/%d out of range", ref.Set, ref.Index)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sets[ref.Set]
	if s == nil {
		s = newStatusSet()
		t.sets[ref.Set] = s
	}
	s.mark(ref.Index)
	if t.reloading[ref] || s.states[ref.Index] == StateRevoked {
		return nil
	}
	if s.states[ref.Index] != st {
		s.states[ref.Index] = st
		s.version++
	}
	return nil
}
