// Package boltstore is the issuer's Store on an embedded bbolt file. Writes on the issuance
// path go through bbolt's db.Batch, so concurrent issuances share one fsync while each stays
// durable before it is acknowledged.
package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/errs"
)

var (
	bucketKeys    = []byte("keys")
	bucketKeyExp  = []byte("key_expiry")
	bucketCreds   = []byte("credentials")
	bucketAlloc   = []byte("status_alloc")
	bucketStatus  = []byte("status_state")
	bucketAPIKeys = []byte("api_keys")
	allBuckets    = [][]byte{bucketKeys, bucketKeyExp, bucketCreds, bucketAlloc, bucketStatus, bucketAPIKeys, bucketMeta, bucketTenants, bucketTenantRecs}
	// tenantBuckets are the buckets every tenant has in its own nested bucket of bucketTenants.
	tenantBuckets = [][]byte{bucketKeys, bucketKeyExp, bucketCreds, bucketAlloc, bucketStatus, bucketAPIKeys, bucketMeta}
)

// Options tunes the store.
type Options struct {
	// MaxBatchSize is the most writes one bbolt transaction (one fsync) carries; 0 means 1024.
	MaxBatchSize int
	// MaxBatchDelay is the longest a write waits for others to share its transaction when no
	// commit is running; 0 means 3 ms. The wait ends early when no write arrived for a few
	// times the usual time between writes (pkg/boltkv.Group), and a batch also collects every
	// write that arrives while the previous one commits. Larger batches cost less CPU per
	// credential (fewer commits and fsyncs); a lone write pays the delay in latency.
	// docs/performance.md ("Issuance") has the measurements behind the default.
	MaxBatchDelay time.Duration
}

// DBFile is the name of the issuer's bbolt file inside its data directory.
const DBFile = "issuer.db"

// Store implements issuer.Store on bbolt, and the optional issuer.GenerationStore,
// issuer.Backupper and issuer.TenantStore. A tenant's view (Tenant) is a Store too, whose
// every bucket is nested in the tenant's own bucket.
type Store struct {
	db *bolt.DB
	// group commits the issuance path's writes (Record, SetState) in shared transactions; the
	// tenants' views share the deployment's.
	group *boltkv.Group
	// tenant is nil for the deployment's store, the tenant name for a tenant's view.
	tenant []byte
}

// Compile-time checks of the optional interfaces issuer.New and Issuer.Backup look for.
var (
	_ issuer.GenerationStore = (*Store)(nil)
	_ issuer.Backupper       = (*Store)(nil)
)

// Open opens (creating) the bbolt file at path, usually <data directory>/DBFile. The Store it
// returns is a *Store, and so also an issuer.Backupper.
func Open(path string, o Options) (issuer.Store, error) {
	db, err := boltkv.Open(path)
	if err != nil {
		return nil, errs.Wrap(issuer.CodeStore, "store failed", err)
	}
	if o.MaxBatchSize <= 0 {
		o.MaxBatchSize = 1024
	}
	if o.MaxBatchDelay <= 0 {
		o.MaxBatchDelay = 3 * time.Millisecond
	}
	db.MaxBatchSize = o.MaxBatchSize
	db.MaxBatchDelay = o.MaxBatchDelay
	group := boltkv.NewGroup(db, o.MaxBatchSize, o.MaxBatchDelay)
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		_ = db.Close()
		return nil, errs.Wrap(issuer.CodeStore, fmt.Sprintf("store failed: creating buckets in %s", path), err)
	}
	return &Store{db: db, group: group}, nil
}

// DB exposes the bbolt handle (tests and tools).
func (s *Store) DB() *bolt.DB { return s.db }

// Close closes the file; closing a tenant's view does nothing (the deployment's Store owns
// the file).
func (s *Store) Close() error {
	if s.tenant != nil {
		return nil
	}
	return s.db.Close()
}

func refKey(r issuer.StatusRef) []byte { return boltkv.Uint64Key(uint64(r.Set)<<32 | uint64(r.Index)) }

func keyRef(k []byte) issuer.StatusRef {
	n := boltkv.KeyUint64(k)
	return issuer.StatusRef{Set: uint32(n >> 32), Index: uint32(n)}
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, issuer.ErrIndexTaken) || errors.Is(err, issuer.ErrDuplicateCredential) {
		return err
	}
	return errs.Wrap(issuer.CodeStore, "store failed: "+op, err)
}

// Record implements issuer.Store: one batched transaction writes the allocation, the log
// entry and the key's expiry mark.
func (s *Store) Record(ctx context.Context, rec issuer.IssueRecord) error {
	if err := ctx.Err(); err != nil {
		return wrap("record", err)
	}
	val, err := encodeRecord(rec)
	if err != nil {
		return wrap("encode record", err)
	}
	return wrap("record", s.group.Do(func(tx *bolt.Tx) error { return s.recordTx(tx, rec, val) }))
}

// recordTx writes an issuance record inside tx: the status allocation, the log entry and the
// key's expiry mark (Record, and VCIStore.UpdateOfferRecording in the offer's transaction), in
// the buckets of s's tenant.
func (s *Store) recordTx(tx *bolt.Tx, rec issuer.IssueRecord, val []byte) error {
	rk := refKey(rec.Status)
	exp := rec.Expires
	if exp.IsZero() {
		exp = issuer.MaxTime
	}
	alloc := s.bucket(tx, bucketAlloc)
	if v := alloc.Get(rk); v != nil && string(v) != rec.ID {
		return errs.Errorf(issuer.CodeIndexTaken, "status index already taken: %d/%d belongs to %s", rec.Status.Set, rec.Status.Index, v)
	}
	creds := s.bucket(tx, bucketCreds)
	if old := creds.Get([]byte(rec.ID)); old != nil {
		var o issuer.IssueRecord
		if err := json.Unmarshal(old, &o); err != nil {
			return err
		}
		if o.Status != rec.Status {
			return errs.Errorf(issuer.CodeDuplicateCredential, "duplicate credential id: %q", rec.ID)
		}
	}
	if err := alloc.Put(rk, []byte(rec.ID)); err != nil {
		return err
	}
	if err := creds.Put([]byte(rec.ID), val); err != nil {
		return err
	}
	ke := s.bucket(tx, bucketKeyExp)
	if cur := ke.Get([]byte(rec.KeyID)); len(cur) == 8 && int64(binary.BigEndian.Uint64(cur)) >= exp.Unix() {
		return nil
	}
	return ke.Put([]byte(rec.KeyID), boltkv.Uint64Key(uint64(exp.Unix())))
}

// Credential implements issuer.Store.
func (s *Store) Credential(ctx context.Context, id string) (issuer.IssueRecord, bool, error) {
	var rec issuer.IssueRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(s.bucket(tx, bucketCreds), []byte(id), &rec)
		return err
	})
	return rec, ok, wrap("credential", err)
}

// SetState implements issuer.Store (batched; a valid state deletes the entry).
func (s *Store) SetState(ctx context.Context, ref issuer.StatusRef, st issuer.State) error {
	if err := ctx.Err(); err != nil {
		return wrap("set state", err)
	}
	rk := refKey(ref)
	return wrap("set state", s.group.Do(func(tx *bolt.Tx) error {
		b := s.bucket(tx, bucketStatus)
		if st == issuer.StateValid {
			return b.Delete(rk)
		}
		return b.Put(rk, []byte{byte(st)})
	}))
}

// LoadStatus implements issuer.Store.
func (s *Store) LoadStatus(ctx context.Context, fn func(issuer.StatusRef, issuer.State) error) error {
	return wrap("load status", s.db.View(func(tx *bolt.Tx) error {
		states := map[uint64]issuer.State{}
		if err := s.bucket(tx, bucketStatus).ForEach(func(k, v []byte) error {
			if len(v) == 1 {
				states[boltkv.KeyUint64(k)] = issuer.State(v[0])
			}
			return nil
		}); err != nil {
			return err
		}
		return s.bucket(tx, bucketAlloc).ForEach(func(k, _ []byte) error {
			return fn(keyRef(k), states[boltkv.KeyUint64(k)])
		})
	}))
}

// PutKey implements issuer.Store.
func (s *Store) PutKey(ctx context.Context, k issuer.KeyRecord) error {
	return wrap("put key", s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(s.bucket(tx, bucketKeys), []byte(k.ID), k)
	}))
}

// Keys implements issuer.Store (oldest first).
func (s *Store) Keys(ctx context.Context) ([]issuer.KeyRecord, error) {
	var out []issuer.KeyRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return s.bucket(tx, bucketKeys).ForEach(func(k, v []byte) error {
			var r issuer.KeyRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("key %s: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	sortKeys(out)
	return out, wrap("keys", err)
}

func sortKeys(ks []issuer.KeyRecord) {
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j].Created.Before(ks[j-1].Created); j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}

// KeyExpiries implements issuer.Store.
func (s *Store) KeyExpiries(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return s.bucket(tx, bucketKeyExp).ForEach(func(k, v []byte) error {
			if len(v) == 8 {
				out[string(k)] = time.Unix(int64(binary.BigEndian.Uint64(v)), 0).UTC()
			}
			return nil
		})
	})
	return out, wrap("key expiries", err)
}

// PutAPIKey implements issuer.Store.
func (s *Store) PutAPIKey(ctx context.Context, k issuer.APIKeyRecord) error {
	return wrap("put API key", s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(s.bucket(tx, bucketAPIKeys), []byte(k.ID), k)
	}))
}

// APIKeys implements issuer.Store.
func (s *Store) APIKeys(ctx context.Context) ([]issuer.APIKeyRecord, error) {
	var out []issuer.APIKeyRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return s.bucket(tx, bucketAPIKeys).ForEach(func(k, v []byte) error {
			var r issuer.APIKeyRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("API key %s: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, wrap("API keys", err)
}

var _ issuer.Store = (*Store)(nil)
