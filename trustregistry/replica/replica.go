// Package replica is the trust registry's sync client for verifiers: a Replica pulls a signed
// snapshot from a registry, then follows it by long-polling signed deltas (one per registry
// version: the changed objects, the base and resulting state digests and the signed
// checkpoint). Each snapshot and delta is verified against a pinned key (following key
// rotations only when the old key announced them) and its resulting state against the
// registry's signed checkpoint (state digest); a replica refuses to step back, keeps the last
// good snapshot on disk with the deltas applied since, answers decisions from an immutable
// in-memory index derived incrementally and swapped atomically, and fails closed when it is
// stale (past next-update plus grace). A gap in the deltas, a digest mismatch or a registry
// without deltas sends it back to the full snapshot.
//
//	r, err := replica.New(replica.Config{URL: "https://registry.example", PinnedKey: jwk, CacheFile: "registry.cache"})
//	go r.Run(ctx)
//	d := r.Decide(trustregistry.Query{Entity: issuerDID, CredentialType: "BusinessRegistration", LocalScheme: "cn-sh-lg.corporate"})
package replica

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idport/idport/pkg/atomicfile"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
)

// Defaults.
const (
	DefaultGrace        = 15 * time.Minute
	DefaultPollInterval = 30 * time.Second
	// DefaultRetryMin is the first pause after a failed sync.
	DefaultRetryMin     = time.Second
	DefaultLongPollWait = 25 * time.Second
)

// Errors.
var (
	// ErrStale: the replica has no snapshot, or its snapshot is past next-update plus grace.
	ErrStale = errors.New("registry replica stale")
	// ErrOlder: a snapshot with a sequence not after the current one.
	ErrOlder = errors.New("snapshot sequence not newer")
	// ErrUnknownKey: a snapshot signed by a key that no known rotation leads to.
	ErrUnknownKey = errors.New("snapshot signed by an untrusted key")
	// ErrGap: a delta that does not follow the version held; the snapshot is needed.
	ErrGap = errors.New("delta does not follow the version held")
	// ErrDigest: a delta whose base or resulting state digest is not the one it claims.
	ErrDigest = errors.New("delta state digest mismatch")
)

// Config configures a Replica.
type Config struct {
	// URL of the registry (http(s)://host:port); empty for an offline replica.
	URL string
	// PinnedKey is the registry's public JWK, obtained out of band.
	PinnedKey []byte
	// CacheFile keeps the last good snapshot (and rotation announcements); optional. The
	// deltas applied since are appended to CacheFile + ".deltas" and replayed on start.
	CacheFile string
	// HTTPClient for fetching (default: 35 s timeout).
	HTTPClient *http.Client
	// WrapTransport, when set, wraps the transport of HTTPClient (http.DefaultTransport when
	// it has none), e.g. to trace snapshot and delta fetches and propagate trace context. The
	// package itself knows no tracing library.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Grace after next-update before the replica fails closed (default 15 min).
	Grace time.Duration
	// PollInterval is the poll period when long-poll is unavailable, and the longest pause
	// between retries after failed syncs (default 30 s).
	PollInterval time.Duration
	// RetryMin is the first pause after a failed sync (default 1 s); each further failure in a
	// row doubles it, up to PollInterval, with up to a fifth of random jitter so that many
	// replicas do not return to a restarted registry at the same instant.
	RetryMin time.Duration
	// LongPollWait is the wait asked of the registry (default 25 s).
	LongPollWait time.Duration
	Logger       *slog.Logger
	// OnSync, when set, is called by Run after every sync attempt: whether a new snapshot
	// was accepted, and the error of a failed attempt (metrics).
	OnSync func(accepted bool, err error)
	// Now is the clock (tests).
	Now func() time.Time
}

// view is one accepted snapshot with its index and the key trusted after it.
type view struct {
	snap      *trustregistry.Snapshot
	idx       *trustregistry.Index
	seq       uint64 // the sequence of the snapshot the deltas started from
	key       crypto.PublicKey
	kid       string
	rotations [][]byte
	at        time.Time
}

// Replica is a verified local copy of the registry.
type Replica struct {
	cfg     Config
	pinned  crypto.PublicKey
	pinKid  string
	mu      sync.Mutex // serialises Accept and AcceptDelta, and guards digest and sum
	cur     atomic.Pointer[view]
	lastErr atomic.Pointer[string]
	// digest and sum are the state digest of the current view (maintained per delta).
	digest *trustregistry.Digest
	sum    string
	// noDeltas: the registry serves no deltas; follow snapshots only.
	noDeltas atomic.Bool
}

// Status reports the replica's health.
type Status struct {
	Ready      bool      `json:"ready"`
	Stale      bool      `json:"stale"`
	Version    uint64    `json:"version"`
	Sequence   uint64    `json:"sequence"`
	IssuedAt   time.Time `json:"issued_at,omitzero"`
	NextUpdate time.Time `json:"next_update,omitzero"`
	LastUpdate time.Time `json:"last_update,omitzero"`
	KeyID      string    `json:"key_id,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
}

// New makes a replica. It loads CacheFile when present and valid; it does not touch the network
// (Run and Sync do).
func New(cfg Config) (*Replica, error) {
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.LongPollWait <= 0 {
		cfg.LongPollWait = DefaultLongPollWait
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = DefaultRetryMin
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.LongPollWait + 10*time.Second}
	}
	if cfg.WrapTransport != nil {
		c := *cfg.HTTPClient // the caller's client stays as it was
		base := c.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		c.Transport = cfg.WrapTransport(base)
		cfg.HTTPClient = &c
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.URL != "" {
		u, err := url.Parse(cfg.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("registry URL %q must be http(s)://host[:port]", cfg.URL)
		}
		cfg.URL = strings.TrimRight(cfg.URL, "/")
	}
	pub, _, err := keys.ParsePublicJWK(cfg.PinnedKey)
	if err != nil {
		return nil, fmt.Errorf("pinned registry key: %w", err)
	}
	kid, err := keys.Thumbprint(pub)
	if err != nil {
		return nil, err
	}
	r := &Replica{cfg: cfg, pinned: pub, pinKid: kid}
	if cfg.CacheFile != "" {
		if err := r.LoadFile(cfg.CacheFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			cfg.Logger.Warn("ignoring registry cache file", "file", cfg.CacheFile, "err", err)
		}
	}
	return r, nil
}

// FromSnapshotFile makes an offline replica from a snapshot file (a compact JWS as served by
// GET /v1/snapshot, or a replica cache file), verified against pinnedKey. It fails closed like
// any replica once the snapshot is past next-update plus DefaultGrace; for a longer offline
// life use New(Config{PinnedKey, Grace}) and LoadFile.
func FromSnapshotFile(path string, pinnedKey []byte) (*Replica, error) {
	r, err := New(Config{PinnedKey: pinnedKey})
	if err != nil {
		return nil, err
	}
	if err := r.LoadFile(path); err != nil {
		return nil, err
	}
	return r, nil
}

// cacheFile is the on-disk form: rotation announcements in order, then the latest snapshot.
type cacheFile struct {
	Rotations []string `json:"rotations,omitempty"`
	Snapshot  string   `json:"snapshot"`
}

// LoadFile accepts the snapshot in a file (compact JWS or cache file), then the deltas logged
// next to it (path + ".deltas") when there are.
func (r *Replica) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b = []byte(strings.TrimSpace(string(b)))
	var cf cacheFile
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &cf); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	} else {
		cf.Snapshot = string(b)
	}
	rots := make([][]byte, 0, len(cf.Rotations))
	for _, x := range cf.Rotations {
		rots = append(rots, []byte(x))
	}
	if _, err := r.accept([]byte(cf.Snapshot), rots, false); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r.replayDeltas(path + deltaLogSuffix)
	return nil
}

// Accept verifies a snapshot JWS (following rotations, which may be nil) and makes it current.
// It returns false without error when the sequence is the current one.
func (r *Replica) Accept(jws []byte, rotations [][]byte) (bool, error) {
	return r.accept(jws, rotations, true)
}

func (r *Replica) accept(jws []byte, rotations [][]byte, persist bool) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.cur.Load()
	key, kid := r.pinned, r.pinKid
	var seq uint64
	var rots [][]byte
	if cur != nil {
		key, kid, seq, rots = cur.key, cur.kid, cur.seq, cur.rotations
	}
	h, err := trustregistry.PeekJWS(jws)
	if err != nil {
		return false, err
	}
	// Follow rotation announcements signed by the key we trust, in order.
	for _, rj := range rotations {
		if h.Kid == kid {
			break
		}
		rh, err := trustregistry.PeekJWS(rj)
		if err != nil || rh.Kid != kid {
			continue
		}
		rs, err := trustregistry.VerifySnapshot(rj, key)
		if err != nil || len(rs.NextKey) == 0 {
			continue
		}
		nk, _, err := keys.ParsePublicJWK(rs.NextKey)
		if err != nil {
			return false, fmt.Errorf("%w: rotation %d announces a bad key: %w", trustregistry.ErrSnapshot, rs.Sequence, err)
		}
		if key, kid = nk, mustThumb(nk); kid == "" {
			return false, fmt.Errorf("%w: rotation key thumbprint", trustregistry.ErrSnapshot)
		}
		rots = append(rots, rj)
	}
	if h.Kid != kid {
		return false, fmt.Errorf("%w: %w: signed by key %q, trusted key is %q and no rotation signed by it announces the new one", trustregistry.ErrSnapshot, ErrUnknownKey, h.Kid, kid)
	}
	snap, err := trustregistry.VerifySnapshot(jws, key)
	if err != nil {
		return false, err
	}
	if cur != nil && snap.Sequence == seq {
		return false, nil
	}
	if snap.Sequence < seq {
		return false, fmt.Errorf("%w: got %d, have %d", ErrOlder, snap.Sequence, seq)
	}
	if cur != nil && snap.Version < cur.snap.Version {
		return false, fmt.Errorf("%w: snapshot of version %d, deltas brought version %d", ErrOlder, snap.Version, cur.snap.Version)
	}
	// The state must be the one the registry's signed checkpoint commits to.
	_, dg, err := trustregistry.CheckSnapshotDigest(snap, key)
	if err != nil {
		return false, err
	}
	if len(snap.NextKey) > 0 {
		nk, _, err := keys.ParsePublicJWK(snap.NextKey)
		if err != nil {
			return false, fmt.Errorf("%w: rotation announces a bad key: %w", trustregistry.ErrSnapshot, err)
		}
		rots = append(rots, jws)
		key, kid = nk, mustThumb(nk)
	}
	v := &view{snap: snap, idx: trustregistry.NewIndex(snap.State), seq: snap.Sequence, key: key, kid: kid, rotations: rots, at: r.cfg.Now()}
	if persist && r.cfg.CacheFile != "" {
		if err := r.writeCache(v, jws); err != nil {
			r.cfg.Logger.Error("writing registry cache", "file", r.cfg.CacheFile, "err", err)
		}
	}
	r.digest, r.sum = dg, dg.Sum()
	r.cur.Store(v)
	r.cfg.Logger.Info("registry snapshot accepted", "sequence", snap.Sequence, "version", snap.Version, "next_update", snap.NextUpdate)
	return true, nil
}

func mustThumb(pub crypto.PublicKey) string {
	t, _ := keys.Thumbprint(pub)
	return t
}

// writeCache writes the cache atomically (temp file, fsync, rename, fsync of the directory)
// and starts a new delta log.
func (r *Replica) writeCache(v *view, jws []byte) error {
	cf := cacheFile{Snapshot: string(jws)}
	for _, x := range v.rotations {
		cf.Rotations = append(cf.Rotations, string(x))
	}
	b, err := json.Marshal(cf)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(r.cfg.CacheFile, b); err != nil {
		return err
	}
	if err := os.Remove(r.cfg.CacheFile + deltaLogSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// stale reports why the view cannot be trusted now, or "".
func (r *Replica) stale(v *view, now time.Time) string {
	if v == nil {
		return "no registry snapshot yet"
	}
	if now.After(v.snap.NextUpdate.Add(r.cfg.Grace)) {
		return fmt.Sprintf("registry snapshot %d expired: next update was due %s (grace %s)", v.snap.Sequence, v.snap.NextUpdate.Format(time.RFC3339), r.cfg.Grace)
	}
	return ""
}

// Decide answers q from the current snapshot; a stale replica answers CodeRegistryStale.
// Questions about another registry version than the snapshot's answer CodeVersionUnknown.
func (r *Replica) Decide(q trustregistry.Query) trustregistry.Decision {
	v := r.cur.Load()
	now := r.cfg.Now()
	if why := r.stale(v, now); why != "" {
		d := trustregistry.Decision{Code: trustregistry.CodeRegistryStale, Message: why, EvaluatedAt: now}
		if v != nil {
			d.RegistryVersion = v.snap.Version
		}
		return d
	}
	if !q.AsKnownAt.IsZero() && q.AsKnownAt.Before(v.snap.State.UpdatedAt) {
		return trustregistry.Decision{Code: trustregistry.CodeVersionUnknown, Message: fmt.Sprintf("replica holds version %d recorded at %s only; ask the registry about earlier knowledge", v.snap.Version, v.snap.State.UpdatedAt.Format(time.RFC3339)),
			RegistryVersion: v.snap.Version, EvaluatedAt: now}
	}
	if q.AsOfVersion != 0 && q.AsOfVersion != v.snap.Version {
		return trustregistry.Decision{Code: trustregistry.CodeVersionUnknown, Message: fmt.Sprintf("replica holds version %d only; ask the registry for version %d", v.snap.Version, q.AsOfVersion),
			RegistryVersion: v.snap.Version, EvaluatedAt: now}
	}
	if q.At.IsZero() {
		q.At = now
	}
	return v.idx.Decide(q)
}

// Index returns the current index, or nil before the first snapshot.
func (r *Replica) Index() *trustregistry.Index {
	if v := r.cur.Load(); v != nil {
		return v.idx
	}
	return nil
}

// Ready returns nil when the replica holds a fresh snapshot, else an ErrStale error.
func (r *Replica) Ready() error {
	if why := r.stale(r.cur.Load(), r.cfg.Now()); why != "" {
		return fmt.Errorf("%w: %s", ErrStale, why)
	}
	return nil
}

// Status reports the replica's state.
func (r *Replica) Status() Status {
	v := r.cur.Load()
	why := r.stale(v, r.cfg.Now())
	st := Status{Ready: why == "", Stale: why != "", Reason: why}
	if p := r.lastErr.Load(); p != nil {
		st.LastError = *p
	}
	if v != nil {
		st.Version, st.Sequence, st.IssuedAt, st.NextUpdate, st.LastUpdate, st.KeyID = v.snap.Version, v.seq, v.snap.IssuedAt, v.snap.NextUpdate, v.at, v.kid
	}
	return st
}

// Sync fetches the latest snapshot once (waiting up to wait for one newer than the current).
// It reports whether a new snapshot was accepted.
func (r *Replica) Sync(ctx context.Context, wait time.Duration) (bool, error) {
	if r.cfg.URL == "" {
		return false, errors.New("offline replica: no registry URL")
	}
	u := r.cfg.URL + "/v1/snapshot"
	if v := r.cur.Load(); v != nil {
		u += "?after=" + strconv.FormatUint(v.seq, 10)
		if wait > 0 {
			u += "&wait=" + wait.String()
		}
	}
	b, status, err := r.get(ctx, u, trustregistry.MaxSnapshotBytes)
	if err != nil {
		return false, err
	}
	if status == http.StatusNoContent {
		return false, nil
	}
	if status != http.StatusOK {
		return false, fmt.Errorf("GET %s: HTTP %d", u, status)
	}
	ok, err := r.Accept(b, nil)
	if errors.Is(err, ErrUnknownKey) {
		rots, rerr := r.fetchRotations(ctx)
		if rerr != nil {
			return false, fmt.Errorf("%w (fetching rotations: %v)", err, rerr)
		}
		ok, err = r.Accept(b, rots)
	}
	return ok, err
}

func (r *Replica) fetchRotations(ctx context.Context) ([][]byte, error) {
	b, status, err := r.get(ctx, r.cfg.URL+"/v1/snapshot/rotations", trustregistry.MaxSnapshotBytes)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", status)
	}
	var body trustregistry.RotationList
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(body.Rotations))
	for _, x := range body.Rotations {
		out = append(out, []byte(x))
	}
	return out, nil
}

func (r *Replica) get(ctx context.Context, u string, limit int64) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/jose, application/json")
	// Accept-Encoding is left to the transport, which asks for gzip and decompresses; the limit
	// applies to the decompressed body.
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(b)) > limit {
		return nil, 0, fmt.Errorf("GET %s: body over %d bytes", u, limit)
	}
	return b, resp.StatusCode, nil
}

// Run keeps the replica in sync until ctx ends: the first snapshot, then long-polled deltas;
// the snapshot again on a gap, a refused delta, a rotated key, half-way to its next update
// without news, or from a registry that serves no deltas (snapshot long-poll). On errors it
// retries after RetryMin, doubling the pause with each failure in a row up to PollInterval.
// An offline replica just waits.
func (r *Replica) Run(ctx context.Context) error {
	if r.cfg.URL == "" {
		<-ctx.Done()
		return nil
	}
	failures := 0
	for ctx.Err() == nil {
		start := r.cfg.Now()
		got, err := r.step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if r.cfg.OnSync != nil {
			r.cfg.OnSync(got, err)
		}
		var pause time.Duration
		switch {
		case err != nil:
			msg := err.Error()
			r.lastErr.Store(&msg)
			pause = retryPause(r.cfg.RetryMin, r.cfg.PollInterval, failures)
			failures++
			r.cfg.Logger.Warn("registry sync failed; retrying", "err", err, "in", pause, "failures", failures)
		case !got && r.cfg.Now().Sub(start) < time.Second:
			// The registry answered at once without news: no long-poll there; poll instead.
			failures = 0
			pause = r.cfg.PollInterval
		default:
			failures = 0
			r.lastErr.Store(nil)
		}
		if pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}
	return nil
}

// retryPause is the pause after failures+1 failed syncs in a row: first doubled per earlier
// failure, at most longest, less up to a fifth of random jitter.
func retryPause(first, longest time.Duration, failures int) time.Duration {
	d := first
	for ; failures > 0 && d < longest; failures-- {
		d *= 2
	}
	d = min(d, longest)
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// step is one round of Run: deltas when they can be followed, else the snapshot.
func (r *Replica) step(ctx context.Context) (bool, error) {
	v := r.cur.Load()
	if v == nil || r.noDeltas.Load() {
		return r.Sync(ctx, r.cfg.LongPollWait)
	}
	if half := v.snap.IssuedAt.Add(v.snap.NextUpdate.Sub(v.snap.IssuedAt) / 2); r.cfg.Now().After(half) {
		// No change for half the validity: take the registry's re-issued snapshot.
		if got, err := r.Sync(ctx, 0); got || err != nil {
			return got, err
		}
	}
	got, err := r.SyncDeltas(ctx, r.cfg.LongPollWait)
	switch {
	case errors.Is(err, errNoDeltas):
		r.noDeltas.Store(true)
		r.cfg.Logger.Info("the registry serves no deltas; following its snapshots")
		return r.Sync(ctx, r.cfg.LongPollWait)
	case err != nil && ctx.Err() == nil:
		r.cfg.Logger.Warn("registry deltas not followed; fetching the snapshot", "err", err)
		sgot, serr := r.Sync(ctx, 0)
		if errors.Is(serr, ErrOlder) {
			return got, nil // the registry has no snapshot past the deltas held yet
		}
		if serr != nil {
			return got || sgot, fmt.Errorf("%w (after: %v)", serr, err)
		}
		return got || sgot, nil
	}
	return got, err
}
