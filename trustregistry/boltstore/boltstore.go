// Package boltstore is the trust registry's Store on bbolt: one file, one writer process. Every
// change set is applied in one bbolt transaction together with its history revisions, its
// audit record and the version bump, so a crash leaves either all of it or none.
package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
	bolt "go.etcd.io/bbolt"
)

// Bucket names; exported so tamper tests can edit the file directly.
var (
	BucketMeta      = []byte("meta")
	BucketObjects   = []byte("objects")
	BucketRevisions = []byte("revisions")
	BucketAudit     = []byte("audit")
	BucketProposals = []byte("proposals")
	BucketAccounts  = []byte("accounts")
	BucketTokens    = []byte("tokens")
	BucketIdem      = []byte("idempotency")
	BucketSnapshots = []byte("snapshots")
	BucketRotations = []byte("rotations")
	BucketSecrets   = []byte("secrets")

	keyVersion = []byte("version")
	keyLatest  = []byte("latest")
)

var allBuckets = [][]byte{BucketMeta, BucketObjects, BucketRevisions, BucketAudit, BucketProposals, BucketAccounts,
	BucketTokens, BucketIdem, BucketSnapshots, BucketRotations, BucketSecrets}

// Store implements trustregistry.Store on a bbolt file.
type Store struct {
	db *bolt.DB
}

var _ trustregistry.Store = (*Store)(nil)

// Options tunes Open. The zero value is what a registry uses.
type Options struct {
	// NoSync skips the fsync of each commit: faster, and a crash may lose or corrupt recent
	// commits. For tests and throwaway registries only.
	NoSync bool
}

// Open opens or creates the registry database at path (its directory is created, mode 0700).
func Open(path string, opts Options) (*Store, error) {
	db, err := boltkv.Open(path)
	if err != nil {
		return nil, err
	}
	db.NoSync = opts.NoSync
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("bucket %s: %w", b, err)
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// DB exposes the underlying database (tests).
func (s *Store) DB() *bolt.DB { return s.db }

// Backup implements trustregistry.Backupper: a consistent copy of the database file, written
// from one read transaction while writers go on committing.
func (s *Store) Backup(w io.Writer) (int64, error) { return boltkv.WriteBackup(s.db, w) }

var _ trustregistry.Backupper = (*Store)(nil)

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func objKey(k trustregistry.Kind, id string) []byte {
	return append(append([]byte(k), 0), id...)
}

func revKey(k trustregistry.Kind, id string, v uint64) []byte {
	return append(append(objKey(k, id), 0), boltkv.Uint64Key(v)...)
}

func version(tx *bolt.Tx) uint64 {
	return boltkv.KeyUint64(tx.Bucket(BucketMeta).Get(keyVersion))
}

// Version implements trustregistry.Store.
func (s *Store) Version(ctx context.Context) (uint64, error) {
	var v uint64
	err := s.db.View(func(tx *bolt.Tx) error { v = version(tx); return nil })
	return v, err
}

// LoadState implements trustregistry.Store.
func (s *Store) LoadState(ctx context.Context) (*trustregistry.State, error) {
	st := trustregistry.NewState()
	err := s.db.View(func(tx *bolt.Tx) error {
		st.Version = version(tx)
		return tx.Bucket(BucketObjects).ForEach(func(k, v []byte) error {
			kind, id, ok := bytes.Cut(k, []byte{0})
			if !ok {
				return fmt.Errorf("malformed object key %q", k)
			}
			return st.SetObject(trustregistry.Kind(kind), string(id), v)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	if st.Version > 0 {
		if rec, err := s.Audit(ctx, st.Version-1, 1); err == nil && len(rec) == 1 {
			st.UpdatedAt = rec[0].AppliedAt
		}
	}
	return st, nil
}

// StateAt implements trustregistry.Store. It costs one cursor seek per object (objects are never
// deleted, so every object that ever existed has a current entry) rather than a scan of the
// whole history: for each object, its last revision at or before v.
func (s *Store) StateAt(ctx context.Context, v uint64) (*trustregistry.State, error) {
	var revs []trustregistry.Revision
	err := s.db.View(func(tx *bolt.Tx) error {
		if v > version(tx) {
			return errs.Errorf(trustregistry.CodeNotFound, "version %d is past the head %d: %w", v, version(tx), trustregistry.ErrNotFound)
		}
		rc := tx.Bucket(BucketRevisions).Cursor()
		return tx.Bucket(BucketObjects).ForEach(func(obj, _ []byte) error {
			prefix := append(bytes.Clone(obj), 0)
			k, val := rc.Seek(append(bytes.Clone(prefix), boltkv.Uint64Key(v+1)...))
			if k == nil {
				k, val = rc.Last()
			} else {
				k, val = rc.Prev()
			}
			if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
				return nil // created after v
			}
			var r trustregistry.Revision
			if err := json.Unmarshal(val, &r); err != nil {
				return fmt.Errorf("decode revision %q: %w", k, err)
			}
			revs = append(revs, r)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return trustregistry.StateFromRevisions(revs, v)
}

// Apply implements trustregistry.Store: one bbolt transaction for objects, revisions, audit, version
// and proposal.
func (s *Store) Apply(ctx context.Context, c trustregistry.Commit) (trustregistry.AuditRecord, error) {
	rec := c.Audit
	err := s.db.Update(func(tx *bolt.Tx) error {
		head := version(tx)
		if head != c.BaseVersion {
			return errs.Errorf(trustregistry.CodeConflict, "store at version %d, commit based on %d: %w", head, c.BaseVersion, trustregistry.ErrVersionConflict)
		}
		next := head + 1
		var prev *trustregistry.AuditRecord
		if k, v := tx.Bucket(BucketAudit).Cursor().Last(); k != nil {
			prev = new(trustregistry.AuditRecord)
			if err := json.Unmarshal(v, prev); err != nil {
				return fmt.Errorf("decode last audit record: %w", err)
			}
		}
		rec.Version = next
		rec.Diff = c.Changes
		if err := trustregistry.Chain(prev, &rec); err != nil {
			return err
		}
		objs, revs := tx.Bucket(BucketObjects), tx.Bucket(BucketRevisions)
		for _, ch := range c.Changes {
			if err := objs.Put(objKey(ch.Kind, ch.ID), ch.After); err != nil {
				return err
			}
			r, err := json.Marshal(trustregistry.Revision{Kind: ch.Kind, ID: ch.ID, Version: next, RecordedAt: c.RecordedAt, Object: ch.After})
			if err != nil {
				return err
			}
			if err := revs.Put(revKey(ch.Kind, ch.ID, next), r); err != nil {
				return err
			}
		}
		if err := boltkv.PutJSON(tx, BucketAudit, boltkv.Uint64Key(rec.Seq), rec); err != nil {
			return err
		}
		for _, p := range append([]*trustregistry.Proposal{c.Proposal}, c.Closed...) {
			if p == nil {
				continue
			}
			if err := putProposal(tx, p, true); err != nil {
				return err
			}
		}
		for _, w := range c.Accounts {
			if err := putAccount(tx, w.Account, w.Create); err != nil {
				return err
			}
		}
		return tx.Bucket(BucketMeta).Put(keyVersion, boltkv.Uint64Key(next))
	})
	if err != nil {
		return trustregistry.AuditRecord{}, fmt.Errorf("apply change set: %w", err)
	}
	return rec, nil
}

// History implements trustregistry.Store.
func (s *Store) History(ctx context.Context, kind trustregistry.Kind, id string) ([]trustregistry.Revision, error) {
	var out []trustregistry.Revision
	prefix := append(objKey(kind, id), 0)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(BucketRevisions).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) != len(prefix)+8 {
				continue
			}
			var r trustregistry.Revision
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode revision: %w", err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		err = errs.Errorf(trustregistry.CodeNotFound, "%s %q: %w", kind, id, trustregistry.ErrNotFound)
	}
	return out, err
}

// Audit implements trustregistry.Store.
func (s *Store) Audit(ctx context.Context, after uint64, limit int) ([]trustregistry.AuditRecord, error) {
	var out []trustregistry.AuditRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(BucketAudit).Cursor()
		for k, v := c.Seek(boltkv.Uint64Key(after + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var r trustregistry.AuditRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("audit record at key %x: %w: %w", k, trustregistry.ErrAuditBroken, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// CreateProposal implements trustregistry.Store.
func (s *Store) CreateProposal(ctx context.Context, p *trustregistry.Proposal) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(BucketProposals).Get([]byte(p.ID)) != nil {
			return errs.Errorf(trustregistry.CodeAlreadyExists, "proposal %q: %w", p.ID, trustregistry.ErrExists)
		}
		p.Rev = 1
		return boltkv.PutJSON(tx, BucketProposals, []byte(p.ID), p)
	})
}

// GetProposal implements trustregistry.Store.
func (s *Store) GetProposal(ctx context.Context, id string) (*trustregistry.Proposal, error) {
	p := new(trustregistry.Proposal)
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ok, err = boltkv.GetJSON(tx, BucketProposals, []byte(id), p)
		return err
	})
	if err == nil && !ok {
		err = errs.Errorf(trustregistry.CodeNotFound, "proposal %q: %w", id, trustregistry.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ListProposals implements trustregistry.Store.
func (s *Store) ListProposals(ctx context.Context, f trustregistry.ProposalFilter) ([]*trustregistry.Proposal, error) {
	var out []*trustregistry.Proposal
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(BucketProposals).Cursor()
		k, v := c.First()
		if f.After != "" {
			k, v = c.Seek([]byte(f.After))
			if k != nil && string(k) == f.After {
				k, v = c.Next()
			}
		}
		for ; k != nil && (f.Limit <= 0 || len(out) < f.Limit); k, v = c.Next() {
			p := new(trustregistry.Proposal)
			if err := json.Unmarshal(v, p); err != nil {
				return fmt.Errorf("decode proposal %q: %w", k, err)
			}
			if f.Status == "" || p.Status == f.Status {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

// putProposal replaces p when its stored Rev matches, or, when create is set and p.Rev is 0,
// creates it (a proposal filed with its audit record).
func putProposal(tx *bolt.Tx, p *trustregistry.Proposal, create bool) error {
	var cur trustregistry.Proposal
	ok, err := boltkv.GetJSON(tx, BucketProposals, []byte(p.ID), &cur)
	if err != nil {
		return err
	}
	switch {
	case create && p.Rev == 0 && ok:
		return errs.Errorf(trustregistry.CodeAlreadyExists, "proposal %q: %w", p.ID, trustregistry.ErrExists)
	case create && p.Rev == 0:
	case !ok:
		return errs.Errorf(trustregistry.CodeNotFound, "proposal %q: %w", p.ID, trustregistry.ErrNotFound)
	case cur.Rev != p.Rev:
		return errs.Errorf(trustregistry.CodeConflict, "proposal %q changed concurrently (rev %d, expected %d): %w", p.ID, cur.Rev, p.Rev, trustregistry.ErrVersionConflict)
	}
	p.Rev++
	if err := boltkv.PutJSON(tx, BucketProposals, []byte(p.ID), p); err != nil {
		p.Rev--
		return err
	}
	return nil
}

// UpdateProposal implements trustregistry.Store.
func (s *Store) UpdateProposal(ctx context.Context, p *trustregistry.Proposal) error {
	rev := p.Rev
	err := s.db.Update(func(tx *bolt.Tx) error { return putProposal(tx, p, false) })
	if err != nil {
		p.Rev = rev
	}
	return err
}

// PutAccount implements trustregistry.Store.
func (s *Store) PutAccount(ctx context.Context, a trustregistry.Account, create bool) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putAccount(tx, a, create) })
}

// putAccount writes an account and its token index in tx.
func putAccount(tx *bolt.Tx, a trustregistry.Account, create bool) error {
	var old trustregistry.Account
	exists, err := boltkv.GetJSON(tx, BucketAccounts, []byte(a.Name), &old)
	if err != nil {
		return err
	}
	if create && exists {
		return errs.Errorf(trustregistry.CodeAlreadyExists, "account %q: %w", a.Name, trustregistry.ErrExists)
	}
	if !create && !exists {
		return errs.Errorf(trustregistry.CodeNotFound, "account %q: %w", a.Name, trustregistry.ErrNotFound)
	}
	tokens := tx.Bucket(BucketTokens)
	if exists && old.TokenHash != "" && old.TokenHash != a.TokenHash {
		if err := tokens.Delete([]byte(old.TokenHash)); err != nil {
			return err
		}
	}
	if a.TokenHash != "" {
		if o := tokens.Get([]byte(a.TokenHash)); o != nil && string(o) != a.Name {
			return errs.Errorf(trustregistry.CodeAlreadyExists, "token hash already used by another account: %w", trustregistry.ErrExists)
		}
		if err := tokens.Put([]byte(a.TokenHash), []byte(a.Name)); err != nil {
			return err
		}
	}
	return boltkv.PutJSON(tx, BucketAccounts, []byte(a.Name), a)
}

// GetAccount implements trustregistry.Store.
func (s *Store) GetAccount(ctx context.Context, name string) (trustregistry.Account, error) {
	var a trustregistry.Account
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ok, err = boltkv.GetJSON(tx, BucketAccounts, []byte(name), &a)
		return err
	})
	if err == nil && !ok {
		err = errs.Errorf(trustregistry.CodeNotFound, "account %q: %w", name, trustregistry.ErrNotFound)
	}
	return a, err
}

// AccountByTokenHash implements trustregistry.Store.
func (s *Store) AccountByTokenHash(ctx context.Context, h string) (trustregistry.Account, error) {
	var a trustregistry.Account
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		name := tx.Bucket(BucketTokens).Get([]byte(h))
		if name == nil {
			return nil
		}
		ok, err = boltkv.GetJSON(tx, BucketAccounts, name, &a)
		return err
	})
	if err == nil && !ok {
		err = errs.Errorf(trustregistry.CodeNotFound, "token: %w", trustregistry.ErrNotFound)
	}
	return a, err
}

// ListAccounts implements trustregistry.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]trustregistry.Account, error) {
	var out []trustregistry.Account
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(BucketAccounts).ForEach(func(k, v []byte) error {
			var a trustregistry.Account
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode account %q: %w", k, err)
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// PutIdempotency implements trustregistry.Store.
func (s *Store) PutIdempotency(ctx context.Context, r trustregistry.IdempotencyRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(BucketIdem).Get([]byte(r.Key)) != nil {
			return errs.Errorf(trustregistry.CodeAlreadyExists, "idempotency key: %w", trustregistry.ErrExists)
		}
		return boltkv.PutJSON(tx, BucketIdem, []byte(r.Key), r)
	})
}

// FinishIdempotency implements trustregistry.Store.
func (s *Store) FinishIdempotency(ctx context.Context, r trustregistry.IdempotencyRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var cur trustregistry.IdempotencyRecord
		ok, err := boltkv.GetJSON(tx, BucketIdem, []byte(r.Key), &cur)
		if err != nil {
			return err
		}
		if !ok {
			return errs.Errorf(trustregistry.CodeNotFound, "idempotency key: %w", trustregistry.ErrNotFound)
		}
		if cur.Status != 0 {
			return errs.Errorf(trustregistry.CodeConflict, "idempotency key answered already: %w", trustregistry.ErrVersionConflict)
		}
		return boltkv.PutJSON(tx, BucketIdem, []byte(r.Key), r)
	})
}

// DeleteIdempotency implements trustregistry.Store.
func (s *Store) DeleteIdempotency(ctx context.Context, key string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(BucketIdem).Delete([]byte(key)) })
}

// GetIdempotency implements trustregistry.Store.
func (s *Store) GetIdempotency(ctx context.Context, key string) (trustregistry.IdempotencyRecord, error) {
	var r trustregistry.IdempotencyRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ok, err = boltkv.GetJSON(tx, BucketIdem, []byte(key), &r)
		return err
	})
	if err == nil && !ok {
		err = errs.Errorf(trustregistry.CodeNotFound, "idempotency key: %w", trustregistry.ErrNotFound)
	}
	return r, err
}

// PurgeIdempotency implements trustregistry.Store.
func (s *Store) PurgeIdempotency(ctx context.Context, before time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketIdem)
		var dead [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var r trustregistry.IdempotencyRecord
			if json.Unmarshal(v, &r) != nil || r.CreatedAt.Before(before) {
				dead = append(dead, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutSnapshot implements trustregistry.Store.
func (s *Store) PutSnapshot(ctx context.Context, r trustregistry.SnapshotRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var cur trustregistry.SnapshotRecord
		ok, err := boltkv.GetJSON(tx, BucketSnapshots, keyLatest, &cur)
		if err != nil {
			return err
		}
		if ok && r.Sequence <= cur.Sequence {
			return errs.Errorf(trustregistry.CodeConflict, "snapshot sequence %d not after %d: %w", r.Sequence, cur.Sequence, trustregistry.ErrVersionConflict)
		}
		if r.Rotation {
			if err := boltkv.PutJSON(tx, BucketRotations, boltkv.Uint64Key(r.Sequence), r); err != nil {
				return err
			}
		}
		return boltkv.PutJSON(tx, BucketSnapshots, keyLatest, r)
	})
}

// LatestSnapshot implements trustregistry.Store.
func (s *Store) LatestSnapshot(ctx context.Context) (trustregistry.SnapshotRecord, error) {
	var r trustregistry.SnapshotRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ok, err = boltkv.GetJSON(tx, BucketSnapshots, keyLatest, &r)
		return err
	})
	if err == nil && !ok {
		err = errs.Errorf(trustregistry.CodeNotFound, "snapshot: %w", trustregistry.ErrNotFound)
	}
	return r, err
}

// Rotations implements trustregistry.Store.
func (s *Store) Rotations(ctx context.Context) ([]trustregistry.SnapshotRecord, error) {
	var out []trustregistry.SnapshotRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(BucketRotations).ForEach(func(k, v []byte) error {
			var r trustregistry.SnapshotRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// PutSecret implements trustregistry.Store.
func (s *Store) PutSecret(ctx context.Context, name string, b []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(BucketSecrets).Put([]byte(name), b) })
}

// GetSecret implements trustregistry.Store.
func (s *Store) GetSecret(ctx context.Context, name string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(BucketSecrets).Get([]byte(name)))
		return nil
	})
	if err == nil && out == nil {
		err = errs.Errorf(trustregistry.CodeNotFound, "secret %q: %w", name, trustregistry.ErrNotFound)
	}
	return out, err
}
