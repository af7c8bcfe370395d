package trustregistry

import (
	"context"
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
)

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
	for after := uint64(0); ; {
		recs, err := s.store.Audit(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("reading audit times: %w", err)
		}
		for _, r := range recs {
			s.applied = append(s.applied, r.AppliedAt)
			if err := s.replayPolicy(r); err != nil {
				return err
			}
		}
		if len(recs) < 1000 {
			break
		}
		after = recs[len(recs)-1].Seq
	}
	sealed, err := s.store.GetSecret(ctx, secretCurrentKey)
	var k *keys.Key
	switch {
	case errors.Is(err, ErrNotFound):
		if k, err = keys.Generate(s.cfg.Alg); err != nil {
			return err
		}
		if err := s.storeKey(ctx, k); err != nil {
			return err
		}
		s.log.Info("generated registry signing key", "kid", k.ID, "alg", k.Alg)
	case err != nil:
		return err
	default:
		if k, err = s.sealer.OpenKey(sealed); err != nil {
			return fmt.Errorf("opening the registry key (wrong key secret?): %w", err)
		}
	}
	s.key.Store(k)
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
	return s.refreshSnapshot(ctx, false)
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
	if !force && cur != nil && meta != nil && cur.Version == s.idx.Load().Version() && meta.kid == s.key.Load().ID &&
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
	seq := uint64(1)
	if cur := s.snap.Load(); cur != nil {
		seq = cur.Sequence + 1
	}
	idx := s.idx.Load()
	now := s.now().UTC()
	snap := &Snapshot{Issuer: s.cfg.Issuer, Sequence: seq, Version: idx.Version(), IssuedAt: now,
		NextUpdate: now.Add(s.cfg.SnapshotInterval), NextKey: nextKey, State: idx.State()}
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
	s.notifyM.Lock()
	close(s.notify)
	s.notify = make(chan struct{})
	s.notifyM.Unlock()
	s.log.Info("published registry snapshot", "sequence", seq, "version", snap.Version, "bytes", len(jws), "rotation", nextKey != nil)
	return rec, nil
}

// replayPolicy applies the set_policy of an audit record to the policy in force.
func (s *Service) replayPolicy(r AuditRecord) error {
	for _, g := range r.Governance {
		if g.Op != OpSetPolicy {
			continue
		}
		var w Policy
		if err := json.Unmarshal(g.After, &w); err != nil {
			return fmt.Errorf("audit record %d: policy: %w", r.Seq, err)
		}
		p, err := s.pol.Load().merge(-1, &w)
		if err != nil {
			return fmt.Errorf("audit record %d: policy: %w", r.Seq, err)
		}
		s.pol.Store(&p)
	}
	return nil
}

// RotateKey generates a new registry key, announces it in a snapshot signed by the old key,
// then publishes a snapshot signed by the new key. It is the in-process form for the operator's
// own code; over the admin API the key rotates by an approved rotate_registry_key proposal.
func (s *Service) RotateKey(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rotateKeyLocked(ctx)
}

func (s *Service) rotateKeyLocked(ctx context.Context) error {
	nk, err := keys.Generate(s.cfg.Alg)
	if err != nil {
		return err
	}
	jwk, err := nk.PublicJWK()
	if err != nil {
		return err
	}
	if _, err := s.issueLocked(ctx, jwk); err != nil {
		return err
	}
	if err := s.storeKey(ctx, nk); err != nil {
		return err
	}
	s.key.Store(nk)
	s.log.Info("rotated registry signing key", "kid", nk.ID)
	_, err = s.issueLocked(ctx, nil)
	return err
}

// Store returns the underlying store.
func (s *Service) Store() Store { return s.store }

// Close closes the store.
func (s *Service) Close() error { return s.store.Close() }

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

// Ready reports whether the registry can serve (a signed snapshot exists).
func (s *Service) Ready() error {
	if s.snap.Load() == nil {
		return errors.New("no snapshot published yet")
	}
	return nil
}

// Index returns the current decision index.
func (s *Service) Index() *Index { return s.idx.Load() }

// Decide answers q, routing as-of-version questions to an index rebuilt from history.
func (s *Service) Decide(ctx context.Context, q Query) (Decision, error) {
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
	if r == nil {
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
// audited.
func (s *Service) CreateAccount(ctx context.Context, name string, roles []Role) (Account, string, error) {
	return createAccount(ctx, s.store, name, roles, "system", s.now(), s.pol.Load().tokenTTL)
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

func createAccount(ctx context.Context, st Store, name string, roles []Role, by string, now time.Time, ttl time.Duration) (Account, string, error) {
	a, tok, err := newAccount(name, roles, by, now, ttl)
	if err != nil {
		return Account{}, "", err
	}
	if err := st.PutAccount(ctx, a, true); err != nil {
		return Account{}, "", err
	}
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

// Bootstrap creates an account directly in st (offline: a bbolt file the registry is not
// running on, or an etcd prefix whose write lock the caller holds) and returns its token,
// shown once. The creation is written to the audit log (as the next registry version) in the
// same transaction. No registry service may be writing st at the same time.
func Bootstrap(ctx context.Context, st Store, name string, roles []Role) (string, error) {
	now := time.Now().UTC()
	a, tok, err := newAccount(name, roles, "bootstrap", now, DefaultTokenTTL)
	if err != nil {
		return "", err
	}
	v, err := st.Version(ctx)
	if err != nil {
		return "", err
	}
	_, err = st.Apply(ctx, Commit{BaseVersion: v, RecordedAt: now, Accounts: []AccountWrite{{Account: a, Create: true}},
		Audit: AuditRecord{Proposer: "bootstrap", ProposedAt: now, AppliedAt: now, Reason: "offline bootstrap of account " + name,
			Governance: []GovernanceChange{{Op: OpBootstrapAccount, Subject: name, After: a.auditJSON()}}}})
	if err != nil {
		return "", fmt.Errorf("bootstrap account %q: %w", name, err)
	}
	return tok, nil
}

// CheckAudit checks the audit chain of st offline and reports on it; a broken chain is a
// report with OK false, not an error.
func CheckAudit(ctx context.Context, st Store) (AuditReport, error) {
	return verifyAudit(ctx, st)
}
