package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/errs"
)

// Buckets of the OpenID4VCI state, created on first use: offers by id, the indexes from the
// hashes of pre-authorized codes and access tokens to offer ids, and the c_nonces consumed
// (each with its expiry). bucketVCILegacyNonces held issued c_nonces when issuing one wrote a
// record; none of them is valid any more, and Purge drops the bucket.
var (
	bucketVCIOffers       = []byte("oid4vci_offers")
	bucketVCICodes        = []byte("oid4vci_codes")
	bucketVCITokens       = []byte("oid4vci_tokens")
	bucketVCIUsedNonces   = []byte("oid4vci_used_nonces")
	bucketVCILegacyNonces = []byte("oid4vci_nonces")
)

// VCIStore is the openid4vci.Store in the issuer's bbolt file, so that offers, codes, tokens
// and used nonces survive a restart and share the issuer's one writer process. Single-use rules
// hold because each UpdateOffer is one bbolt transaction.
type VCIStore struct {
	db *bolt.DB
	// records is the store whose issuance records UpdateOfferRecording writes.
	records *Store
}

var _ openid4vci.Store = (*VCIStore)(nil)

// OpenID4VCIStore returns the OpenID4VCI state store over the same bbolt file.
func (s *Store) OpenID4VCIStore() openid4vci.Store { return &VCIStore{db: s.db, records: s} }

func vciErr(op string, err error) error {
	if err == nil || errs.As(err) != nil {
		return err
	}
	return errs.Wrap(issuer.CodeStore, "store failed: "+op, err)
}

func bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	if tx.Writable() {
		return tx.CreateBucketIfNotExists(name)
	}
	return tx.Bucket(name), nil
}

// PutOffer implements openid4vci.Store.
func (s *VCIStore) PutOffer(ctx context.Context, rec *openid4vci.OfferRecord) error {
	val, err := json.Marshal(rec)
	if err != nil {
		return vciErr("encode offer", err)
	}
	return vciErr("put offer", s.db.Batch(func(tx *bolt.Tx) error {
		offers, err := bucket(tx, bucketVCIOffers)
		if err != nil {
			return err
		}
		codes, err := bucket(tx, bucketVCICodes)
		if err != nil {
			return err
		}
		if err := offers.Put([]byte(rec.ID), val); err != nil {
			return err
		}
		return codes.Put([]byte(rec.CodeHash), []byte(rec.ID))
	}))
}

// find reads the offer l names inside tx.
func find(tx *bolt.Tx, l openid4vci.Lookup) (*openid4vci.OfferRecord, error) {
	id := []byte(l.Value)
	index := map[openid4vci.LookupKind][]byte{openid4vci.ByCode: bucketVCICodes, openid4vci.ByToken: bucketVCITokens}[l.Kind]
	if index != nil {
		b := tx.Bucket(index)
		if b == nil {
			return nil, openid4vci.ErrOfferNotFound
		}
		if id = b.Get(id); id == nil {
			return nil, openid4vci.ErrOfferNotFound
		}
	}
	offers := tx.Bucket(bucketVCIOffers)
	if offers == nil {
		return nil, openid4vci.ErrOfferNotFound
	}
	v := offers.Get(id)
	if v == nil {
		return nil, openid4vci.ErrOfferNotFound
	}
	var rec openid4vci.OfferRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// Offer implements openid4vci.Store.
func (s *VCIStore) Offer(ctx context.Context, l openid4vci.Lookup) (*openid4vci.OfferRecord, error) {
	var rec *openid4vci.OfferRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = find(tx, l)
		return err
	})
	return rec, vciErr("offer", err)
}

// UpdateOffer implements openid4vci.Store in one read-write transaction.
func (s *VCIStore) UpdateOffer(ctx context.Context, l openid4vci.Lookup, nonce openid4vci.Nonce, now time.Time, fn openid4vci.UpdateFunc) error {
	return s.UpdateOfferRecording(ctx, l, nonce, now, fn, nil)
}

var _ openid4vci.RecordingStore = (*VCIStore)(nil)

// UpdateOfferRecording implements openid4vci.RecordingStore: the offer update, the nonce and
// the engine's issuance records (as Store.Record writes them) in one read-write transaction,
// so one credential request costs one fsync. The records are written only when fn accepts.
func (s *VCIStore) UpdateOfferRecording(ctx context.Context, l openid4vci.Lookup, nonce openid4vci.Nonce, now time.Time, fn openid4vci.UpdateFunc, recs []issuer.IssueRecord) error {
	vals := make([][]byte, len(recs))
	for i, r := range recs {
		v, err := json.Marshal(r)
		if err != nil {
			return vciErr("encode record", err)
		}
		vals[i] = v
	}
	var ferr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		rec, err := find(tx, l)
		if err != nil {
			return err
		}
		save, err := fn(rec)
		ferr = err
		if err == nil && nonce.Value != "" {
			used, berr := bucket(tx, bucketVCIUsedNonces)
			if berr != nil {
				return berr
			}
			if used.Get([]byte(nonce.Value)) != nil || !now.Before(nonce.Expires) {
				return errs.Errorf(openid4vci.CodeInvalidNonce, "invalid nonce: the c_nonce is unknown, expired or already used")
			}
			var v [8]byte
			binary.BigEndian.PutUint64(v[:], uint64(nonce.Expires.UnixNano()))
			if err := used.Put([]byte(nonce.Value), v[:]); err != nil {
				return err
			}
		}
		if err == nil {
			for i, r := range recs {
				if err := s.records.recordTx(tx, r, vals[i]); err != nil {
					return err
				}
			}
		}
		if !save {
			return ferr
		}
		val, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		offers, err := bucket(tx, bucketVCIOffers)
		if err != nil {
			return err
		}
		if err := offers.Put([]byte(rec.ID), val); err != nil {
			return err
		}
		if rec.TokenHash != "" {
			tokens, err := bucket(tx, bucketVCITokens)
			if err != nil {
				return err
			}
			if err := tokens.Put([]byte(rec.TokenHash), []byte(rec.ID)); err != nil {
				return err
			}
		}
		return nil // commit, then report fn's error
	})
	if err != nil {
		return vciErr("update offer", err)
	}
	return ferr
}

// Purge implements openid4vci.Store.
func (s *VCIStore) Purge(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		offers, err := bucket(tx, bucketVCIOffers)
		if err != nil {
			return err
		}
		codes, _ := bucket(tx, bucketVCICodes)
		tokens, _ := bucket(tx, bucketVCITokens)
		nonces, _ := bucket(tx, bucketVCIUsedNonces)
		if tx.Bucket(bucketVCILegacyNonces) != nil {
			if err := tx.DeleteBucket(bucketVCILegacyNonces); err != nil {
				return err
			}
		}
		var dead []openid4vci.OfferRecord
		if err := offers.ForEach(func(k, v []byte) error {
			var rec openid4vci.OfferRecord
			if json.Unmarshal(v, &rec) == nil && !openid4vci.Live(&rec, now) {
				dead = append(dead, rec)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, rec := range dead {
			_ = offers.Delete([]byte(rec.ID))
			_ = codes.Delete([]byte(rec.CodeHash))
			if rec.TokenHash != "" {
				_ = tokens.Delete([]byte(rec.TokenHash))
			}
			n++
		}
		var stale [][]byte
		_ = nonces.ForEach(func(k, v []byte) error {
			if len(v) != 8 || !now.Before(time.Unix(0, int64(binary.BigEndian.Uint64(v)))) {
				stale = append(stale, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range stale {
			_ = nonces.Delete(k)
			n++
		}
		return nil
	})
	return n, vciErr("purge", err)
}
