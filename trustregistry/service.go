package trustregistry

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
)

// Defaults.
const (
	DefaultQuorum           = 2
	DefaultSnapshotInterval = time.Hour
	DefaultProposalTTL      = 72 * time.Hour
	idempotencyTTL          = 24 * time.Hour
	// DevSecretFile holds the generated key-sealing secret in Dev mode.
	DevSecretFile    = "dev-key-secret"
	secretCurrentKey = "registry-key"
	// secretNextKey holds a new registry key from the moment it is stored until the rotation
	// is announced and the key made current (empty when no rotation is under way).
	secretNextKey = "registry-key-next"
)

// rotationHook, when set (tests), runs between storing a new registry key and announcing it.
var rotationHook func()

// appliedHook, when set (benchmarks), runs when an approval's change is committed.
var appliedHook func()

// ErrNoKeySecret reports a Config with neither KeySecret nor Dev.
var ErrNoKeySecret = errors.New("a registry key secret is required outside dev mode")

// Config configures a Service.
type Config struct {
	// Store persists the registry (required): boltstore, etcdstore or memstore. The service
	// closes it on Close.
	Store Store
	// DataDir keeps the generated key secret in Dev mode (optional: without it a Dev secret
	// lives in memory only).
	DataDir string
	// Quorum is the number of distinct accounts, proposer included, that must agree on a change
	// (default 2, minimum 2). It is the initial policy: an applied set_policy overrides it.
	Quorum int
	// CoolingOff is how long the proposer and approvers of an account's creation or token reset
	// may not approve that account's proposals (default 7 days; negative: none). Initial policy.
	CoolingOff time.Duration
	// TokenTTL is the lifetime of newly enrolled admin tokens (default 90 days). Initial policy.
	TokenTTL time.Duration
	// KeySecret seals the registry signing key at rest (at least 32 bytes). Required unless Dev.
	KeySecret []byte
	// Dev generates and keeps a key secret in DataDir when KeySecret is empty (loud warning).
	Dev bool
	// Alg of the registry key generated on first start (default EdDSA).
	Alg keys.Alg
	// Issuer names the registry in snapshots (default "idport-registry").
	Issuer string
	// SnapshotInterval is the distance from a snapshot's issue to its next-update time; the
	// registry re-issues a snapshot at half of it even without changes (default 1h).
	SnapshotInterval time.Duration
	// SnapshotDelay, when positive, leaves the full snapshot of an applied change to a
	// background publisher that signs one at most this long after the change, coalescing the
	// changes in between (replicas follow the signed deltas meanwhile). Zero signs a snapshot
	// before the approval returns, which costs seconds at a million authorities.
	SnapshotDelay time.Duration
	// MaxDeltaBytes bounds the signed deltas kept in memory for replicas (default 64 MiB, and
	// at most MaxDeltas of them); a replica further behind fetches the full snapshot.
	MaxDeltaBytes int
	// ProposalTTL is how long a proposal waits for approval by default (default 72h).
	ProposalTTL time.Duration
	// CertAccounts maps client certificates (hex SHA-256 of the DER, or "CN=<common name>") to
	// account names, for mTLS authentication of the admin API.
	CertAccounts map[string]string
	// Logger for events (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Service is a running trust registry.
type Service struct {
	cfg     Config
	store   Store
	log     *slog.Logger
	now     func() time.Time
	idx     atomic.Pointer[Index]
	snap    atomic.Pointer[SnapshotRecord]
	meta    atomic.Pointer[snapMeta]
	pol     atomic.Pointer[policy]
	mu      sync.Mutex // serialises writes: applies, accounts, snapshots, key rotation
	key     atomic.Pointer[keys.Key]
	listKey atomic.Pointer[ListSigner] // the trusted-list signing key (listkey.go)
	sealer  *keys.Sealer
	notifyM sync.Mutex
	notify  chan struct{}
	asOfM   sync.Mutex
	asOf    map[uint64]*Index
	applied []time.Time // applied[v-1] is when version v was recorded; guarded by asOfM

	// Guarded by mu: the head of the audit chain, the incremental state digest, each object's
	// revision (the version that last changed it), and the head's checkpoint.
	chain  chainHead
	digest *Digest
	objRev revisions
	ckBody Checkpoint
	// ckpt is the head's checkpoint signed by the current key (nil for the empty registry).
	ckpt atomic.Pointer[[]byte]
	// broken is set when the stored state failed its integrity check: the registry refuses to
	// serve.
	broken atomic.Pointer[error]
	// sum is the state digest of the head (guarded by mu).
	sum string
	// snapTimer is the pending background snapshot (SnapshotDelay; guarded by mu).
	snapTimer *time.Timer
	closed    bool
	// deltas are the signed deltas of the latest versions, contiguous, oldest first.
	deltaM     sync.RWMutex
	deltas     []deltaRec
	deltaBytes int
}

// chainHead is the last audit record: its sequence number and hash.
type chainHead struct {
	seq  uint64
	hash string
}

// NewService opens (or creates) the registry and prepares its index, key and latest snapshot.
func NewService(cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Quorum == 0 {
		cfg.Quorum = DefaultQuorum
	}
	if cfg.Quorum < 2 {
		return nil, fmt.Errorf("quorum %d: maker-checker needs at least 2 distinct accounts", cfg.Quorum)
	}
	if cfg.CoolingOff == 0 {
		cfg.CoolingOff = DefaultCoolingOff
	}
	if cfg.CoolingOff < 0 {
		cfg.CoolingOff = 0
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.SnapshotInterval <= 0 {
		cfg.SnapshotInterval = DefaultSnapshotInterval
	}
	if cfg.ProposalTTL <= 0 {
		cfg.ProposalTTL = DefaultProposalTTL
	}
	if cfg.Alg == "" {
		cfg.Alg = keys.EdDSA
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "idport-registry"
	}
	if cfg.MaxDeltaBytes <= 0 {
		cfg.MaxDeltaBytes = DefaultMaxDeltaBytes
	}
	secret, err := keySecret(cfg)
	if err != nil {
		return nil, err
	}
	if err := keys.CheckSecret(secret); err != nil {
		return nil, fmt.Errorf("registry key secret: %w", err)
	}
	sealer, err := keys.NewSealer(secret)
	if err != nil {
		return nil, fmt.Errorf("registry key secret: %w", err)
	}
	st := cfg.Store
	if st == nil {
		return nil, errors.New("registry: a Store is required")
	}
	s := &Service{cfg: cfg, store: st, log: cfg.Logger, now: cfg.Now, sealer: sealer, notify: make(chan struct{}), asOf: map[uint64]*Index{}}
	s.pol.Store(&policy{quorum: cfg.Quorum, coolingOff: cfg.CoolingOff, tokenTTL: cfg.TokenTTL})
	if err := s.open(context.Background()); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func keySecret(cfg Config) ([]byte, error) {
	if len(cfg.KeySecret) > 0 {
		return cfg.KeySecret, nil
	}
	if !cfg.Dev {
		return nil, ErrNoKeySecret
	}
	if cfg.DataDir == "" {
		cfg.Logger.Warn("DEV MODE: registry key sealed with an ephemeral secret; it will not survive a restart")
		b := make([]byte, 32)
		rand.Read(b)
		return b, nil
	}
	path := filepath.Join(cfg.DataDir, DevSecretFile)
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		cfg.Logger.Warn("DEV MODE: registry key sealed with a generated secret kept next to the data; never do this in production", "file", path)
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("dev secret: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("dev secret: %w", err)
	}
	cfg.Logger.Warn("DEV MODE: generated a registry key secret next to the data; never do this in production", "file", path)
	return b, nil
}

func (s *Service) open(ctx context.Context) error {
	st, err := s.store.LoadState(ctx)
	if err != nil {
		return err
	}
	s.idx.Store(NewIndex(st))
	k, err := s.loadKey(ctx)
	if err != nil {
		return err
	}
	s.key.Store(k)
	vc, err := verifyIntegrity(ctx, s.store, st, k.Public)
	if err != nil {
		var ie *IntegrityError
		if !errors.As(err, &ie) {
			return fmt.Errorf("checking the registry state: %w", err)
		}
		e := integrityErr(err)
		s.broken.Store(&e)
		s.log.Error("the stored registry state does not prove itself; refusing to serve", "err", err)
		return nil
	}
	s.applied, s.digest, s.objRev = vc.applied, vc.digest, vc.revs
	s.sum = s.digest.Sum()
	if err := s.replayPolicy(vc.policies); err != nil {
		return err
	}
	if vc.head != nil {
		s.chain = chainHead{seq: vc.head.Seq, hash: vc.head.Hash}
	}
	switch {
	case vc.anchor:
		if err := s.anchorBootstrap(ctx, vc.head); err != nil {
			return err
		}
	case vc.head != nil:
		s.ckBody = *vc.ck
		s.ckpt.Store(&vc.ckJWS)
	}
	if rec, err := s.store.LatestSnapshot(ctx); err == nil {
		s.snap.Store(&rec)
		if h, err := PeekJWS(rec.JWS); err == nil && h.Kid == k.ID {
			if snap, err := VerifySnapshot(rec.JWS, k.Public); err == nil {
				s.meta.Store(&snapMeta{issuedAt: snap.IssuedAt, nextUpdate: snap.NextUpdate, kid: h.Kid})
			}
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := s.resumeRotation(ctx); err != nil {
		return err
	}
	if err := s.resumeRotationProposal(ctx, vc.head); err != nil {
		return err
	}
	if !vc.proposalsAudited {
		s.mu.Lock()
		err := s.adoptProposalsLocked(ctx)
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return s.refreshSnapshot(ctx, false)
}

// anchorBootstrap signs the first checkpoint of a chain of offline bootstrap records (see
// chainState.unanchoredBootstrap) and stores it: from then on the records are covered like any
// other, and a record appended offline is detected.
func (s *Service) anchorBootstrap(ctx context.Context, head *AuditRecord) error {
	ck := Checkpoint{Issuer: s.cfg.Issuer, Seq: head.Seq, RecordHash: head.Hash, StateDigest: s.digest.Sum(),
		Version: head.Version, IssuedAt: s.now().UTC()}
	jws, err := SignCheckpoint(s.key.Load(), ck)
	if err != nil {
		return err
	}
	if err := s.store.PutSecret(ctx, secretCheckpoint, jws); err != nil {
		return fmt.Errorf("storing the checkpoint of the bootstrap records: %w", err)
	}
	s.ckBody = ck
	s.ckpt.Store(&jws)
	s.log.Info("signed the first checkpoint over the offline bootstrap records", "audit_seq", head.Seq)
	return nil
}

// resumeRotationProposal finishes the key rotation of an applied rotate_registry_key proposal
// when the registry stopped after committing it but before storing the new key: the head
// record asks for a rotation and its checkpoint is still signed by the current key.
func (s *Service) resumeRotationProposal(ctx context.Context, head *AuditRecord) error {
	if head == nil || head.Checkpoint == "" || !slices.ContainsFunc(head.Governance, func(g GovernanceChange) bool { return g.Op == OpRotateRegistryKey }) {
		return nil
	}
	if _, err := VerifyCheckpoint([]byte(head.Checkpoint), s.key.Load().Public); err != nil {
		return nil // signed by the previous key: the rotation was made
	}
	s.log.Warn("finishing the registry key rotation of an applied proposal", "proposal", head.ProposalID)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rotateKeyLocked(ctx)
}

// loadKey opens the stored registry key, or generates and stores one on first start.
func (s *Service) loadKey(ctx context.Context) (*keys.Key, error) {
	sealed, err := s.store.GetSecret(ctx, secretCurrentKey)
	switch {
	case errors.Is(err, ErrNotFound):
		k, err := keys.Generate(s.cfg.Alg)
		if err != nil {
			return nil, err
		}
		if err := s.storeKey(ctx, k); err != nil {
			return nil, err
		}
		s.log.Info("generated registry signing key", "kid", k.ID, "alg", k.Alg)
		return k, nil
	case err != nil:
		return nil, err
	}
	k, err := s.sealer.OpenKey(sealed)
	if err != nil {
		return nil, fmt.Errorf("opening the registry key (wrong key secret?): %w", err)
	}
	return k, nil
}

func (s *Service) storeKey(ctx context.Context, k *keys.Key) error {
	b, err := s.sealer.SealKey(k)
	if err != nil {
		return err
	}
	return s.store.PutSecret(ctx, secretCurrentKey, b)
}

// refreshSnapshot issues a new snapshot when the latest is missing, behind the state, signed by
// another key, or half-way to its next update (or always when force).
func (s *Service) refreshSnapshot(ctx context.Context, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked(ctx, force)
}

func (s *Service) refreshLocked(ctx context.Context, force bool) error {
	cur, meta := s.snap.Load(), s.meta.Load()
	if !force && cur != nil && meta != nil && (cur.Version == s.idx.Load().Version() || s.snapTimer != nil) && meta.kid == s.key.Load().ID &&
		s.now().Before(meta.issuedAt.Add(meta.nextUpdate.Sub(meta.issuedAt)/2)) {
		return nil
	}
	_, err := s.issueLocked(ctx, nil)
	return err
}

// snapMeta caches what refresh decisions need about the latest snapshot.
type snapMeta struct {
	issuedAt, nextUpdate time.Time
	kid                  string
}

// issueLocked signs and publishes the next snapshot; nextKey announces a rotation.
func (s *Service) issueLocked(ctx context.Context, nextKey []byte) (SnapshotRecord, error) {
	if err := s.brokenErr(); err != nil {
		return SnapshotRecord{}, err
	}
	seq := uint64(1)
	if cur := s.snap.Load(); cur != nil {
		seq = cur.Sequence + 1
	}
	idx := s.idx.Load()
	now := s.now().UTC()
	snap := &Snapshot{Issuer: s.cfg.Issuer, Sequence: seq, Version: idx.Version(), IssuedAt: now,
		NextUpdate: now.Add(s.cfg.SnapshotInterval), NextKey: nextKey, State: idx.State()}
	if ck := s.ckpt.Load(); ck != nil {
		snap.Checkpoint = string(*ck)
	}
	jws, err := SignSnapshot(s.key.Load(), snap)
	if err != nil {
		return SnapshotRecord{}, err
	}
	rec := SnapshotRecord{Sequence: seq, Version: snap.Version, JWS: jws, Rotation: nextKey != nil}
	if err := s.store.PutSnapshot(ctx, rec); err != nil {
		return rec, fmt.Errorf("storing snapshot %d: %w", seq, err)
	}
	s.snap.Store(&rec)
	s.meta.Store(&snapMeta{issuedAt: snap.IssuedAt, nextUpdate: snap.NextUpdate, kid: s.key.Load().ID})
	s.wake()
	s.log.Info("published registry snapshot", "sequence", seq, "version", snap.Version, "bytes", len(jws), "rotation", nextKey != nil)
	return rec, nil
}

// replayPolicy applies the set_policy changes of the audit chain, in order, to the policy in
// force.
func (s *Service) replayPolicy(changes []policyChange) error {
	for _, g := range changes {
		var w Policy
		if err := json.Unmarshal(g.After, &w); err != nil {
			return fmt.Errorf("audit record %d: policy: %w", g.seq, err)
		}
		p, err := s.pol.Load().merge(-1, &w)
		if err != nil {
			return fmt.Errorf("audit record %d: policy: %w", g.seq, err)
		}
		s.pol.Store(&p)
	}
	return nil
}

// RotateKey rotates the registry key so that no replica can be stranded: the new key is stored
// first (as the next key), then announced in a snapshot signed by the old key, then made
// current, and a snapshot signed by it published. A registry stopped at any point finishes the
// rotation when it starts again (resumeRotation). It is the in-process form for the operator's
// own code; over the admin API the key rotates by an approved rotate_registry_key proposal,
// which runs the same steps.
func (s *Service) RotateKey(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rotateKeyLocked(ctx)
}

func (s *Service) rotateKeyLocked(ctx context.Context) error {
	if err := s.brokenErr(); err != nil {
		return err
	}
	nk, err := keys.Generate(s.cfg.Alg)
	if err != nil {
		return err
	}
	sealed, err := s.sealer.SealKey(nk)
	if err != nil {
		return err
	}
	if err := s.store.PutSecret(ctx, secretNextKey, sealed); err != nil {
		return fmt.Errorf("storing the new registry key: %w", err)
	}
	if rotationHook != nil {
		rotationHook()
	}
	return s.finishRotationLocked(ctx, nk)
}

// resumeRotation finishes a rotation interrupted after its new key was stored.
func (s *Service) resumeRotation(ctx context.Context) error {
	sealed, err := s.store.GetSecret(ctx, secretNextKey)
	if errors.Is(err, ErrNotFound) || (err == nil && len(sealed) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	nk, err := s.sealer.OpenKey(sealed)
	if err != nil {
		return fmt.Errorf("opening the next registry key: %w", err)
	}
	s.log.Warn("finishing an interrupted registry key rotation", "kid", nk.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finishRotationLocked(ctx, nk)
}

// finishRotationLocked announces nk under the current key unless a stored announcement does
// already, re-signs the head checkpoint with nk, makes nk current and publishes under it.
func (s *Service) finishRotationLocked(ctx context.Context, nk *keys.Key) error {
	announced, err := s.announcedLocked(ctx, nk.ID)
	if err != nil {
		return err
	}
	if !announced {
		jwk, err := nk.PublicJWK()
		if err != nil {
			return err
		}
		if _, err := s.issueLocked(ctx, jwk); err != nil {
			return fmt.Errorf("announcing the new registry key: %w", err)
		}
	}
	var ck []byte
	if s.chain.seq > 0 {
		if ck, err = SignCheckpoint(nk, s.ckBody); err != nil {
			return err
		}
		if err := s.store.PutSecret(ctx, secretCheckpoint, ck); err != nil {
			return fmt.Errorf("storing the re-signed checkpoint: %w", err)
		}
	}
	if err := s.resignSeededLocked(ctx, nk); err != nil {
		return err
	}
	if err := s.storeKey(ctx, nk); err != nil {
		return err
	}
	if err := s.store.PutSecret(ctx, secretNextKey, []byte{}); err != nil {
		return err
	}
	s.key.Store(nk)
	if ck != nil {
		s.ckpt.Store(&ck)
	}
	s.log.Info("rotated registry signing key", "kid", nk.ID)
	_, err = s.issueLocked(ctx, nil)
	return err
}

// announcedLocked reports whether a stored rotation announcement signed by the current key
// names the key kid.
func (s *Service) announcedLocked(ctx context.Context, kid string) (bool, error) {
	rots, err := s.store.Rotations(ctx)
	if err != nil {
		return false, err
	}
	cur := s.key.Load()
	for _, r := range rots {
		snap, err := VerifySnapshot(r.JWS, cur.Public)
		if err != nil || len(snap.NextKey) == 0 {
			continue
		}
		pub, _, err := keys.ParsePublicJWK(snap.NextKey)
		if err != nil {
			continue
		}
		if t, err := keys.Thumbprint(pub); err == nil && t == kid {
			return true, nil
		}
	}
	return false, nil
}

// Store returns the underlying store.
func (s *Service) Store() Store { return s.store }

// Close stops the background snapshot publisher and closes the store.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	if s.snapTimer != nil {
		s.snapTimer.Stop()
		s.snapTimer = nil
	}
	s.mu.Unlock()
	return s.store.Close()
}

// Run runs the background loop until ctx ends: proposal expiry, idempotency purge and periodic
// snapshot re-issue before next-update.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var purged time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.ExpireProposals(ctx); err != nil {
			s.log.Error("expiring proposals", "err", err)
		}
		if now := s.now(); now.Sub(purged) > 10*time.Minute {
			purged = now
			if err := s.store.PurgeIdempotency(ctx, now.Add(-idempotencyTTL)); err != nil {
				s.log.Error("purging idempotency keys", "err", err)
			}
		}
		if err := s.refreshSnapshot(ctx, false); err != nil {
			s.log.Error("refreshing snapshot", "err", err)
		}
	}
}

// Ready reports whether the registry can serve: its stored state proved itself on start and a
// signed snapshot exists.
func (s *Service) Ready() error {
	if err := s.brokenErr(); err != nil {
		return err
	}
	if s.snap.Load() == nil {
		return errors.New("no snapshot published yet")
	}
	return nil
}

// brokenErr returns the integrity failure found on start, or nil.
func (s *Service) brokenErr() error {
	if p := s.broken.Load(); p != nil {
		return *p
	}
	return nil
}

// Index returns the current decision index.
func (s *Service) Index() *Index { return s.idx.Load() }

// Decide answers q, routing as-of-version questions to an index rebuilt from history.
func (s *Service) Decide(ctx context.Context, q Query) (Decision, error) {
	if err := s.brokenErr(); err != nil {
		return Decision{}, err
	}
	if !q.AsKnownAt.IsZero() {
		v := s.VersionAt(q.AsKnownAt)
		if v == 0 {
			return Decision{Code: CodeVersionUnknown, Message: fmt.Sprintf("the registry held nothing at %s", q.AsKnownAt.UTC().Format(time.RFC3339)),
				RegistryVersion: s.idx.Load().Version(), EvaluatedAt: s.now()}, nil
		}
		if q.AsOfVersion == 0 || v < q.AsOfVersion {
			q.AsOfVersion = v
		}
	}
	idx, err := s.indexAt(ctx, q.AsOfVersion)
	if err != nil {
		return Decision{}, err
	}
	if idx == nil {
		return Decision{Code: CodeVersionUnknown, Message: fmt.Sprintf("registry version %d does not exist yet", q.AsOfVersion),
			RegistryVersion: s.idx.Load().Version(), EvaluatedAt: s.now()}, nil
	}
	return idx.Decide(q), nil
}

// DecideRecognition answers a scheme recognition question at the latest or an older version.
func (s *Service) DecideRecognition(ctx context.Context, q RecognitionQuery, asOf uint64) (Decision, error) {
	if err := s.brokenErr(); err != nil {
		return Decision{}, err
	}
	idx, err := s.indexAt(ctx, asOf)
	if err != nil {
		return Decision{}, err
	}
	if idx == nil {
		return Decision{Code: CodeVersionUnknown, Message: fmt.Sprintf("registry version %d does not exist yet", asOf),
			RegistryVersion: s.idx.Load().Version(), EvaluatedAt: s.now()}, nil
	}
	return idx.DecideRecognition(q), nil
}

// VersionAt returns the registry version in force at recorded time t: the last one applied at or
// before t (0 when none was).
func (s *Service) VersionAt(t time.Time) uint64 {
	s.asOfM.Lock()
	defer s.asOfM.Unlock()
	i, _ := slices.BinarySearchFunc(s.applied, t, func(a, t time.Time) int {
		if a.After(t) {
			return 1
		}
		return -1
	})
	return uint64(i)
}

// indexAt returns the index of version v (0 = latest), nil when v is in the future.
func (s *Service) indexAt(ctx context.Context, v uint64) (*Index, error) {
	cur := s.idx.Load()
	if v == 0 || v == cur.Version() {
		return cur, nil
	}
	if v > cur.Version() {
		return nil, nil
	}
	s.asOfM.Lock()
	x, ok := s.asOf[v]
	s.asOfM.Unlock()
	if ok {
		return x, nil
	}
	st, err := s.store.StateAt(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("state at version %d: %w", v, err)
	}
	if err := s.checkStateAt(ctx, v, st); err != nil {
		return nil, err
	}
	x = NewIndex(st)
	s.asOfM.Lock()
	if len(s.asOf) >= 16 {
		clear(s.asOf)
	}
	s.asOf[v] = x
	s.asOfM.Unlock()
	return x, nil
}

// Snapshot returns the latest published snapshot.
func (s *Service) Snapshot() (SnapshotRecord, bool) {
	r := s.snap.Load()
	if r == nil || s.broken.Load() != nil {
		return SnapshotRecord{}, false
	}
	return *r, true
}

// WaitSnapshot returns the latest snapshot once its sequence is above after, or ok=false when
// ctx ends first (long-poll).
func (s *Service) WaitSnapshot(ctx context.Context, after uint64) (SnapshotRecord, bool) {
	for {
		s.notifyM.Lock()
		ch := s.notify
		s.notifyM.Unlock()
		if r := s.snap.Load(); r != nil && r.Sequence > after {
			return *r, true
		}
		select {
		case <-ctx.Done():
			return SnapshotRecord{}, false
		case <-ch:
		}
	}
}

// Rotations returns the key rotation announcements, oldest first.
func (s *Service) Rotations(ctx context.Context) ([]SnapshotRecord, error) {
	return s.store.Rotations(ctx)
}

// PublicKeyJWK returns the public JWK of the current registry key (what clients pin).
func (s *Service) PublicKeyJWK() ([]byte, error) { return s.key.Load().PublicJWK() }

// SignJWS signs payload with the registry key.
func (s *Service) SignJWS(typ string, payload []byte) ([]byte, error) {
	return SignJWS(s.key.Load(), typ, payload)
}

// --- accounts ---

// Authenticate returns the enabled account of a bearer token that has not expired.
func (s *Service) Authenticate(ctx context.Context, token string) (Account, error) {
	if len(token) < 16 || len(token) > 256 {
		return Account{}, errs.Errorf(CodeUnauthorized, "malformed token: %w", ErrUnauthenticated)
	}
	h := HashToken(token)
	a, err := s.store.AccountByTokenHash(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return Account{}, errs.Errorf(CodeUnauthorized, "unknown token: %w", ErrUnauthenticated)
	}
	if err != nil {
		return Account{}, err
	}
	id, _ := TokenID(token)
	if subtle.ConstantTimeCompare([]byte(a.TokenHash), []byte(h)) != 1 || a.Disabled || a.TokenID != id {
		return Account{}, errs.Errorf(CodeUnauthorized, "account %q: %w", a.Name, ErrUnauthenticated)
	}
	if exp := a.tokenExpiry(s.pol.Load().tokenTTL); !s.now().Before(exp) {
		return Account{}, errs.Errorf(CodeUnauthorized, "account %q: token %s expired at %s: %w", a.Name, a.TokenID, exp.UTC().Format(time.RFC3339), ErrUnauthenticated)
	}
	s.touchToken(ctx, a)
	return a, nil
}

// AccountForCert maps a verified client certificate to its account (mTLS).
func (s *Service) AccountForCert(ctx context.Context, cert *x509.Certificate) (Account, error) {
	sum := sha256.Sum256(cert.Raw)
	name, ok := s.cfg.CertAccounts[hex.EncodeToString(sum[:])]
	if !ok {
		name, ok = s.cfg.CertAccounts["CN="+cert.Subject.CommonName]
	}
	if !ok {
		return Account{}, errs.Errorf(CodeUnauthorized, "client certificate not mapped to an account: %w", ErrUnauthenticated)
	}
	a, err := s.store.GetAccount(ctx, name)
	if err != nil || a.Disabled {
		return Account{}, errs.Errorf(CodeUnauthorized, "account %q of client certificate: %w", name, ErrUnauthenticated)
	}
	return a, nil
}

// CreateAccount creates an account directly and returns its stored record (use View for an
// API answer) with its new token. It is the in-process seeding of an embedded registry (tests,
// the demo stack) by the code that owns the Service, like bootstrap; it is neither reachable
// over the admin API, where accounts are created by an approved create_account proposal, nor
// audited: the account is listed in a list signed with the registry key instead, which the
// integrity check accepts besides the audit chain.
func (s *Service) CreateAccount(ctx context.Context, name string, roles []Role) (Account, string, error) {
	a, tok, err := newAccount(name, roles, "system", s.now(), s.pol.Load().tokenTTL)
	if err != nil {
		return Account{}, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.store.GetAccount(ctx, name); err == nil {
		return Account{}, "", errs.Errorf(CodeAlreadyExists, "account %q: %w", name, ErrExists)
	}
	// Listed (signed) first: a stop between the two writes leaves an unused entry, never an
	// account the integrity check refuses.
	if err := s.seedLocked(ctx, a); err != nil {
		return Account{}, "", err
	}
	if err := s.store.PutAccount(ctx, a, true); err != nil {
		return Account{}, "", err
	}
	return a, tok, nil
}

func newAccount(name string, roles []Role, by string, now time.Time, ttl time.Duration) (Account, string, error) {
	if !validAccountName(name) {
		return Account{}, "", verr(ErrInvalid, "name", "account name %q must be 1-64 letters, digits, '.', '_' or '-'", name)
	}
	if len(roles) == 0 {
		return Account{}, "", verr(ErrInvalid, "roles", "at least one role is required")
	}
	for i, r := range roles {
		if !r.Valid() {
			return Account{}, "", verr(ErrInvalid, fmt.Sprintf("roles[%d]", i), "unknown role %q (proposer, approver, auditor, admin)", r)
		}
	}
	tok, err := NewToken()
	if err != nil {
		return Account{}, "", err
	}
	e, err := EnrolmentOf(tok)
	if err != nil {
		return Account{}, "", err
	}
	now = now.UTC()
	a := Account{Name: name, Roles: sortedRoles(roles), CreatedAt: now, CreatedBy: by}
	a.setToken(e, now, ttl)
	return a, tok, nil
}

func validAccountName(n string) bool {
	if len(n) == 0 || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ListAccounts lists the accounts' API views (no token hashes).
func (s *Service) ListAccounts(ctx context.Context, actor Account) ([]AccountView, error) {
	if !actor.Has(RoleAdmin) && !actor.Has(RoleAuditor) {
		return nil, errs.Errorf(CodeForbidden, "listing accounts needs the admin or auditor role: %w", ErrForbidden)
	}
	as, err := s.store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AccountView, len(as))
	for i, a := range as {
		out[i] = a.View()
	}
	return out, nil
}

// ErrBootstrapNeedsKey: the registry has signed a checkpoint of its audit log, so an offline
// bootstrap must be signed with the registry key (BootstrapSigned) or it would read as an
// account forged into the store.
var ErrBootstrapNeedsKey = errors.New("the registry has signed its audit log: a bootstrap now needs the registry key secret")

// Bootstrap creates an account directly in st (offline: a bbolt file the registry is not
// running on, or an etcd prefix whose write lock the caller holds) and returns its token,
// shown once. The creation is written to the audit log (as the next registry version, with the
// unchanged state digest) in the same transaction. No registry service may be writing st at the
// same time. Written without the registry key, the record carries no checkpoint: the registry
// anchors such records by signing a checkpoint over them at its first start, and only when no
// signed checkpoint precedes them. Once one does, Bootstrap refuses with ErrBootstrapNeedsKey
// (see BootstrapSigned and docs/regulator-guide.md).
func Bootstrap(ctx context.Context, st Store, name string, roles []Role) (string, error) {
	return bootstrap(ctx, st, name, roles, nil)
}

// BootstrapSigned is Bootstrap for a registry that has started already: keySecret opens the
// sealed registry key stored in st, the store must prove itself against the registry's signed
// checkpoint (else nothing is written), and the record carries its own checkpoint signed with
// the registry key, as if the registry had applied it. On a store whose registry never started
// (no key yet) it is Bootstrap.
func BootstrapSigned(ctx context.Context, st Store, name string, roles []Role, keySecret []byte) (string, error) {
	sealer, err := keys.NewSealer(keySecret)
	if err != nil {
		return "", fmt.Errorf("registry key secret: %w", err)
	}
	sealed, err := st.GetSecret(ctx, secretCurrentKey)
	if errors.Is(err, ErrNotFound) {
		return bootstrap(ctx, st, name, roles, nil)
	}
	if err != nil {
		return "", err
	}
	k, err := sealer.OpenKey(sealed)
	if err != nil {
		return "", fmt.Errorf("opening the registry key (wrong key secret?): %w", err)
	}
	return bootstrap(ctx, st, name, roles, k)
}

func bootstrap(ctx context.Context, st Store, name string, roles []Role, k *keys.Key) (string, error) {
	now := time.Now().UTC()
	a, tok, err := newAccount(name, roles, "bootstrap", now, DefaultTokenTTL)
	if err != nil {
		return "", err
	}
	cur, err := st.LoadState(ctx)
	if err != nil {
		return "", err
	}
	var pub crypto.PublicKey
	if k != nil {
		pub = k.Public
	}
	vc, err := verifyIntegrity(ctx, st, cur, pub)
	if err != nil {
		return "", fmt.Errorf("bootstrap account %q: the store does not prove itself, nothing written: %w", name, err)
	}
	if k == nil && vc.head != nil {
		blob, err := st.GetSecret(ctx, secretCheckpoint)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return "", err
		}
		if !vc.unanchoredBootstrap(blob) {
			return "", fmt.Errorf("bootstrap account %q: %w", name, ErrBootstrapNeedsKey)
		}
	}
	rec := AuditRecord{Version: cur.Version + 1, ProposalsAudited: true, Proposer: "bootstrap", ProposedAt: now, AppliedAt: now, Reason: "offline bootstrap of account " + name,
		Governance: []GovernanceChange{{Op: OpBootstrapAccount, Subject: name, After: a.auditJSON()}}, StateDigest: vc.digest.Sum()}
	if k != nil {
		if err := Chain(vc.head, &rec); err != nil {
			return "", err
		}
		issuer := "idport-registry"
		if vc.ck != nil {
			issuer = vc.ck.Issuer
		}
		jws, err := SignCheckpoint(k, Checkpoint{Issuer: issuer, Seq: rec.Seq, RecordHash: rec.Hash, StateDigest: rec.StateDigest,
			Version: rec.Version, IssuedAt: now})
		if err != nil {
			return "", err
		}
		rec.Checkpoint = string(jws)
	}
	got, err := st.Apply(ctx, Commit{BaseVersion: cur.Version, RecordedAt: now, Accounts: []AccountWrite{{Account: a, Create: true}}, Audit: rec})
	if err != nil {
		return "", fmt.Errorf("bootstrap account %q: %w", name, err)
	}
	if k != nil && got.Hash != rec.Hash {
		return "", fmt.Errorf("bootstrap account %q: the store chained the record after another head", name)
	}
	return tok, nil
}

// CheckAudit checks st offline without the registry key (CheckIntegrity with a nil key): the
// audit chain and the stored state against it; a failed check is a report with OK false, not an
// error.
func CheckAudit(ctx context.Context, st Store) (AuditReport, error) {
	return CheckIntegrity(ctx, st, nil)
}
