// Package etcdstore keeps the verifier service's state in etcd, so that several verifier
// processes behind one address share it: the challenge key (challenges stay stateless and
// self-authenticating, so any process checks a challenge another one issued), the records of
// consumed challenges, OpenID4VP transactions and the sealed request-signing key. Single use
// holds across processes because consuming a challenge and answering a transaction are etcd
// transactions that compare before they write.
//
// Key layout under the prefix P (P ends with "/"):
//
//	P challenge-key            the 32-byte challenge key (created once, by the first process)
//	P used/<hex id>            a consumed challenge, its value the expiry (unix seconds)
//	P tx/<id>                  an OpenID4VP transaction (JSON)
//	P signing-key              the sealed OpenID4VP request-signing key
package etcdstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idport/idport/pkg/etcdx"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/openid4vp"
)

// Config configures Open: how to reach the cluster, and the key prefix (default
// DefaultPrefix).
type Config = etcdx.Config

// DefaultPrefix is the key prefix when Config.Prefix is empty.
const DefaultPrefix = "/idport/verifier/"

// Store is a verifier.ChallengeStore and an openid4vp.TransactionStore on etcd.
type Store struct {
	conn *etcdx.Conn
	cli  *clientv3.Client
	key  *verifier.ChallengeKey
}

var (
	_ verifier.AudienceChallengeStore = (*Store)(nil)
	_ openid4vp.TransactionStore      = (*Store)(nil)
)

// Open connects to the cluster and reads the challenge key, creating it when this is the
// first process on the prefix.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	c, err := etcdx.Connect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("verifier etcdstore: %w", err)
	}
	s := &Store{conn: c, cli: c.Client}
	raw, err := s.createOnce(ctx, s.k("challenge-key"), func() ([]byte, error) { return verifier.NewChallengeKey().Bytes(), nil })
	if err == nil {
		s.key, err = verifier.ChallengeKeyFromBytes(raw)
	}
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("verifier etcdstore: challenge key: %w", err)
	}
	return s, nil
}

// Prefix returns the store's key prefix.
func (s *Store) Prefix() string { return s.conn.Prefix }

// Close closes the client when Open made it.
func (s *Store) Close() error { return s.conn.Close() }

func (s *Store) k(name string) string { return s.conn.Prefix + name }

func absent(key string) clientv3.Cmp { return clientv3.Compare(clientv3.CreateRevision(key), "=", 0) }

// createOnce returns the value at key, storing make's value first when the key is absent; of
// processes racing to create it, all return the one value that won.
func (s *Store) createOnce(ctx context.Context, key string, make func() ([]byte, error)) ([]byte, error) {
	v, err := make()
	if err != nil {
		return nil, err
	}
	r, err := s.cli.Txn(ctx).If(absent(key)).Then(clientv3.OpPut(key, string(v))).Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return nil, err
	}
	if r.Succeeded {
		return v, nil
	}
	kvs := r.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return nil, errors.New("value vanished")
	}
	return kvs[0].Value, nil
}

// Issue implements verifier.ChallengeStore: it writes nothing.
func (s *Store) Issue(ctx context.Context, now time.Time, ttl time.Duration) (string, time.Time, error) {
	return s.IssueFor(ctx, "", now, ttl)
}

// IssueFor implements verifier.AudienceChallengeStore: it writes nothing.
func (s *Store) IssueFor(_ context.Context, audience string, now time.Time, ttl time.Duration) (string, time.Time, error) {
	c, exp, err := s.key.IssueFor(now, ttl, audience)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("verifier etcdstore: %w", err)
	}
	return c, exp, nil
}

// Consume implements verifier.ChallengeStore: ConsumeFor with no audience.
func (s *Store) Consume(ctx context.Context, challenge string, now time.Time) error {
	return s.ConsumeFor(ctx, challenge, "", now)
}

// ConsumeFor implements verifier.AudienceChallengeStore. The MAC, expiry and audience are checked first, without a
// round trip; the record is then created only if absent, in one transaction, so of concurrent
// consumes on any processes exactly one succeeds.
func (s *Store) ConsumeFor(ctx context.Context, challenge, audience string, now time.Time) error {
	id, exp, err := s.key.CheckFor(challenge, audience, now)
	if err != nil {
		return err
	}
	key := s.k("used/" + hex.EncodeToString(id))
	r, err := s.cli.Txn(ctx).If(absent(key)).Then(clientv3.OpPut(key, strconv.FormatInt(exp.Unix(), 10))).Commit()
	if err != nil {
		return fmt.Errorf("verifier etcdstore: consume challenge: %w", err)
	}
	if !r.Succeeded {
		return verifier.ErrChallengeUsed
	}
	return nil
}

// PurgeGrace is how long past its expiry a used-challenge record is kept: the clock skew
// between replicas that single use tolerates. A replica whose clock runs ahead would otherwise
// delete the record of a challenge that a replica with a slower clock still accepts, and the
// challenge could be used again there.
const PurgeGrace = time.Minute

// PurgeChallenges deletes the records of challenges that expired PurgeGrace or more before now.
func (s *Store) PurgeChallenges(ctx context.Context, now time.Time) (int, error) {
	now = now.Add(-PurgeGrace)
	r, err := s.cli.Get(ctx, s.k("used/"), clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("verifier etcdstore: purge challenges: %w", err)
	}
	n := 0
	for _, kv := range r.Kvs {
		if exp, err := strconv.ParseInt(string(kv.Value), 10, 64); err == nil && exp > now.Unix() {
			continue
		}
		if _, err := s.cli.Delete(ctx, string(kv.Key)); err != nil {
			return n, fmt.Errorf("verifier etcdstore: purge challenges: %w", err)
		}
		n++
	}
	return n, nil
}

func (s *Store) txKey(id string) string { return s.k("tx/" + id) }

// Create implements openid4vp.TransactionStore.
func (s *Store) Create(ctx context.Context, t *openid4vp.Transaction) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("verifier etcdstore: encode transaction: %w", err)
	}
	key := s.txKey(t.ID)
	r, err := s.cli.Txn(ctx).If(absent(key)).Then(clientv3.OpPut(key, string(b))).Commit()
	if err != nil {
		return fmt.Errorf("verifier etcdstore: create transaction: %w", err)
	}
	if !r.Succeeded {
		return errors.New("verifier etcdstore: create transaction: id in use")
	}
	return nil
}

// read returns the live transaction id with its mod revision.
func (s *Store) read(ctx context.Context, id string, now time.Time) (*openid4vp.Transaction, int64, error) {
	r, err := s.cli.Get(ctx, s.txKey(id))
	if err != nil {
		return nil, 0, fmt.Errorf("verifier etcdstore: read transaction: %w", err)
	}
	if len(r.Kvs) == 0 {
		return nil, 0, openid4vp.ErrTransactionUnknown
	}
	var t openid4vp.Transaction
	if err := json.Unmarshal(r.Kvs[0].Value, &t); err != nil {
		return nil, 0, fmt.Errorf("verifier etcdstore: decode transaction: %w", err)
	}
	if t.Gone(now) {
		return nil, 0, openid4vp.ErrTransactionUnknown
	}
	return &t, r.Kvs[0].ModRevision, nil
}

// Get implements openid4vp.TransactionStore.
func (s *Store) Get(ctx context.Context, id string, now time.Time) (*openid4vp.Transaction, error) {
	t, _, err := s.read(ctx, id, now)
	return t, err
}

// Complete implements openid4vp.TransactionStore: the answer is written only if the pending
// record read is still the stored one, so of concurrent completions on any processes exactly
// one succeeds. The answered record drops the request's response encryption key.
func (s *Store) Complete(ctx context.Context, id string, result json.RawMessage, now time.Time) error {
	t, rev, err := s.read(ctx, id, now)
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
		return fmt.Errorf("verifier etcdstore: encode transaction: %w", err)
	}
	key := s.txKey(id)
	r, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).Then(clientv3.OpPut(key, string(b))).Commit()
	if err != nil {
		return fmt.Errorf("verifier etcdstore: complete transaction: %w", err)
	}
	if !r.Succeeded {
		return openid4vp.ErrTransactionDone // another process answered (or purged) it first
	}
	return nil
}

// PurgeTransactions deletes the transactions Gone at now.
func (s *Store) PurgeTransactions(ctx context.Context, now time.Time) (int, error) {
	r, err := s.cli.Get(ctx, s.k("tx/"), clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("verifier etcdstore: purge transactions: %w", err)
	}
	n := 0
	for _, kv := range r.Kvs {
		var t openid4vp.Transaction
		if json.Unmarshal(kv.Value, &t) == nil && !t.Gone(now) {
			continue
		}
		if _, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(string(kv.Key)), "=", kv.ModRevision)).
			Then(clientv3.OpDelete(string(kv.Key))).Commit(); err != nil {
			return n, fmt.Errorf("verifier etcdstore: purge transactions: %w", err)
		}
		n++
	}
	return n, nil
}

// SigningKey returns the OpenID4VP request-signing key (ES256), created by the first process
// and kept sealed with sealer, so that every process signs as the same did:jwk.
func (s *Store) SigningKey(ctx context.Context, sealer *keys.Sealer) (*keys.Key, error) {
	sealed, err := s.createOnce(ctx, s.k("signing-key"), func() ([]byte, error) {
		k, err := keys.Generate(keys.ES256)
		if err != nil {
			return nil, err
		}
		return sealer.SealKey(k)
	})
	if err != nil {
		return nil, fmt.Errorf("verifier etcdstore: openid4vp signing key: %w", err)
	}
	k, err := sealer.OpenKey(sealed)
	if err != nil {
		return nil, fmt.Errorf("verifier etcdstore: openid4vp signing key: %w", err)
	}
	return k, nil
}
