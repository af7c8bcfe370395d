package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier/openid4vp"
)

// bucketTx maps OpenID4VP transaction ids to their JSON record.
var bucketTx = []byte("openid4vp_transactions")

// Transactions is an openid4vp.TransactionStore in the same bbolt file:
// pending presentation requests (with their response encryption keys) and
// their outcomes, kept across restarts until they expire.
type Transactions struct {
	db *bbolt.DB
}

var _ openid4vp.TransactionStore = (*Transactions)(nil)

// OpenTransactions opens (or creates) the transaction store in db, which
// the caller owns and closes.
func OpenTransactions(db *bbolt.DB) (*Transactions, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketTx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open transaction store: %w", err)
	}
	return &Transactions{db: db}, nil
}

// Create implements openid4vp.TransactionStore.
func (s *Transactions) Create(_ context.Context, t *openid4vp.Transaction) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("boltstore: encode transaction: %w", err)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketTx)
		if bk.Get([]byte(t.ID)) != nil {
			return errors.New("transaction id in use")
		}
		return bk.Put([]byte(t.ID), b)
	})
	if err != nil {
		return fmt.Errorf("boltstore: create transaction: %w", err)
	}
	return nil
}

func read(bk *bbolt.Bucket, id string, now time.Time) (*openid4vp.Transaction, error) {
	v := bk.Get([]byte(id))
	if v == nil {
		return nil, openid4vp.ErrTransactionUnknown
	}
	var t openid4vp.Transaction
	if err := json.Unmarshal(v, &t); err != nil {
		return nil, fmt.Errorf("boltstore: decode transaction: %w", err)
	}
	if t.Gone(now) {
		return nil, openid4vp.ErrTransactionUnknown
	}
	return &t, nil
}

// Get implements openid4vp.TransactionStore.
func (s *Transactions) Get(_ context.Context, id string, now time.Time) (*openid4vp.Transaction, error) {
	var t *openid4vp.Transaction
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		t, err = read(tx.Bucket(bucketTx), id, now)
		return err
	})
	return t, err
}

// Complete implements openid4vp.TransactionStore: check and record in one
// write transaction. The answered record drops the request's response
// encryption key, which is of no further use.
func (s *Transactions) Complete(_ context.Context, id string, result json.RawMessage, now time.Time) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketTx)
		t, err := read(bk, id, now)
		if err != nil {
			return err
		}
		if t.Done {
			return openid4vp.ErrTransactionDone
		}
		t.Done, t.Result, t.Answered = true, result, now.UTC()
		t.Request.EncryptionKey = nil
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("boltstore: encode transaction: %w", err)
		}
		return bk.Put([]byte(id), b)
	})
}

// PurgeTransactions deletes the transactions Gone at now and returns how
// many.
func (s *Transactions) PurgeTransactions(now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketTx)
		var expired [][]byte
		err := bk.ForEach(func(k, v []byte) error {
			var t openid4vp.Transaction
			if json.Unmarshal(v, &t) != nil || t.Gone(now) {
				expired = append(expired, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := bk.Delete(k); err != nil {
				return err
			}
		}
		n = len(expired)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("boltstore: purge transactions: %w", err)
	}
	return n, nil
}

var (
	bucketVPMeta  = []byte("openid4vp_meta")
	keySigningKey = []byte("signing_key")
)

// SigningKey returns the verifier's request-object signing key (ES256),
// created on first use and kept in the file sealed with sealer, so that
// the verifier's DID survives restarts and the key is not readable from
// the file alone.
func (s *Transactions) SigningKey(sealer *keys.Sealer) (*keys.Key, error) {
	var k *keys.Key
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketVPMeta)
		if err != nil {
			return err
		}
		if sealed := b.Get(keySigningKey); sealed != nil {
			k, err = sealer.OpenKey(sealed)
			return err
		}
		if k, err = keys.Generate(keys.ES256); err != nil {
			return err
		}
		sealed, err := sealer.SealKey(k)
		if err != nil {
			return err
		}
		return b.Put(keySigningKey, sealed)
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: openid4vp signing key: %w", err)
	}
	return k, nil
}
