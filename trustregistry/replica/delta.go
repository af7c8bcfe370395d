package replica

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/idport/idport/trustregistry"
)

// deltaLogSuffix names the log of the deltas applied since the cached snapshot.
const deltaLogSuffix = ".deltas"

// errNoDeltas: the registry does not serve deltas.
var errNoDeltas = errors.New("the registry serves no deltas")

// AcceptDelta verifies a signed delta against the trusted key and, when it follows the version
// held, applies it: the base digest must be the state's, the resulting state must pass the
// registry's rules and digest to the delta's signed checkpoint; then the index of the new
// version is derived from the current one and swapped in. A refused delta leaves the last good
// state: ErrOlder for a version held already (a replay), ErrGap for one that does not follow,
// ErrUnknownKey for another key, ErrDigest for a state that is not the checkpoint's, and
// trustregistry.ErrDelta for a malformed or badly signed one.
func (r *Replica) AcceptDelta(jws []byte) error {
	return r.acceptDelta(jws, true)
}

func (r *Replica) acceptDelta(jws []byte, persist bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.cur.Load()
	if cur == nil {
		return fmt.Errorf("%w: no snapshot held", ErrGap)
	}
	h, err := trustregistry.PeekJWS(jws)
	if err != nil {
		return fmt.Errorf("%w: %w", trustregistry.ErrDelta, err)
	}
	if h.Kid != cur.kid {
		return fmt.Errorf("%w: %w: delta signed by key %q, trusted key is %q", trustregistry.ErrDelta, ErrUnknownKey, h.Kid, cur.kid)
	}
	d, _, err := trustregistry.VerifyDelta(jws, cur.key)
	if err != nil {
		return err
	}
	have := cur.snap.Version
	switch {
	case d.Version <= have:
		return fmt.Errorf("%w: delta to version %d, have %d", ErrOlder, d.Version, have)
	case d.BaseVersion != have:
		return fmt.Errorf("%w: delta from version %d, have %d", ErrGap, d.BaseVersion, have)
	case d.BaseDigest != r.sum:
		return fmt.Errorf("%w: delta from digest %s, the state held digests to %s", ErrDigest, d.BaseDigest, r.sum)
	}
	next, changes, err := cur.idx.ApplyDelta(d)
	if err != nil {
		return err
	}
	r.digest.Update(changes)
	if sum := r.digest.Sum(); sum != d.StateDigest {
		r.digest.Revert(changes)
		return fmt.Errorf("%w: the delta's state digests to %s, its checkpoint signs %s", ErrDigest, sum, d.StateDigest)
	}
	snap := *cur.snap
	snap.Version, snap.State, snap.IssuedAt, snap.NextUpdate, snap.Checkpoint, snap.NextKey = d.Version, next, d.IssuedAt, d.NextUpdate, d.Checkpoint, nil
	v := *cur
	v.snap, v.idx, v.at = &snap, cur.idx.Next(next, changes), r.cfg.Now()
	r.sum = d.StateDigest
	if persist && r.cfg.CacheFile != "" {
		if err := appendLine(r.cfg.CacheFile+deltaLogSuffix, jws); err != nil {
			r.cfg.Logger.Error("writing the registry delta log", "file", r.cfg.CacheFile+deltaLogSuffix, "err", err)
		}
	}
	r.cur.Store(&v)
	r.cfg.Logger.Debug("registry delta applied", "version", d.Version, "changes", len(d.Changes))
	return nil
}

// appendLine appends b and a newline to the file at path and syncs it.
func appendLine(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b[:len(b):len(b)], '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// replayDeltas applies the delta log at path; it stops at the first delta refused.
func (r *Replica) replayDeltas(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, trustregistry.MaxDeltaBytes+1)
	n := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := r.acceptDelta(line, false); err != nil {
			if !errors.Is(err, ErrOlder) {
				r.cfg.Logger.Warn("stopped replaying the registry delta log", "file", f.Name(), "err", err)
				return
			}
			continue
		}
		n++
	}
	if n > 0 {
		r.cfg.Logger.Info("replayed registry deltas from the cache", "deltas", n, "version", r.cur.Load().snap.Version)
	}
}

// SyncDeltas fetches the deltas after the version held once (waiting up to wait for one) and
// applies them in order. It reports whether the version moved; an error says why the deltas
// cannot be followed (the caller fetches the snapshot).
func (r *Replica) SyncDeltas(ctx context.Context, wait time.Duration) (bool, error) {
	if r.cfg.URL == "" {
		return false, errors.New("offline replica: no registry URL")
	}
	v := r.cur.Load()
	if v == nil {
		return false, fmt.Errorf("%w: no snapshot held", ErrGap)
	}
	u := r.cfg.URL + "/v1/snapshot/deltas?after=" + strconv.FormatUint(v.snap.Version, 10)
	if wait > 0 {
		u += "&wait=" + wait.String()
	}
	b, status, err := r.get(ctx, u, trustregistry.MaxSnapshotBytes)
	if err != nil {
		return false, err
	}
	switch {
	case status == http.StatusNoContent:
		return false, nil
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return false, errNoDeltas
	case status == http.StatusGone:
		return false, fmt.Errorf("%w: the registry keeps no deltas from version %d", ErrGap, v.snap.Version)
	case status != http.StatusOK:
		return false, fmt.Errorf("GET %s: HTTP %d", u, status)
	}
	var list trustregistry.DeltaList
	if len(b) == 0 || b[0] != '{' {
		return false, errNoDeltas // an older registry answering every path with its snapshot
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return false, fmt.Errorf("GET %s: %w", u, err)
	}
	moved := false
	for _, d := range list.Deltas {
		if err := r.AcceptDelta([]byte(d)); err != nil {
			if errors.Is(err, ErrOlder) {
				continue
			}
			return moved, err
		}
		moved = true
	}
	return moved, nil
}
