package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	bolt "go.etcd.io/bbolt"
)

// fillAudit writes five applied change sets and closes the file.
func fillAudit(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registry.db")
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sets := []trustregistry.ChangeSet{demoseed.ChangeSet("did:web:registrar.example.sg", t0)}
	for i := 1; i <= 4; i++ {
		if i%2 == 1 {
			sets = append(sets, trustregistry.SuspendAuthority(demoseed.AuthorityID, "check", t0.Add(time.Duration(i)*time.Hour)))
		} else {
			sets = append(sets, trustregistry.ReinstateAuthority(demoseed.AuthorityID, "ok", t0.Add(time.Duration(i)*time.Hour)))
		}
	}
	for i, cs := range sets {
		cur, _ := s.LoadState(ctx)
		_, ch, err := trustregistry.Apply(cur, cs, t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: cur.Version, RecordedAt: t0, Changes: ch,
			Audit: trustregistry.AuditRecord{Proposer: "alice", Approvers: []string{"bob"}, Reason: "r", AppliedAt: t0}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, err := trustregistry.VerifyStoreAudit(ctx, s); err != nil || n != 5 {
		t.Fatalf("clean log: %d, %v", n, err)
	}
	s.Close()
	return path
}

func editFile(t *testing.T, path string, fn func(b *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(boltstore.BucketAudit)) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestAuditTamperDetectedInFile(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(b *bolt.Bucket) error
		record int
	}{
		{"altered byte", func(b *bolt.Bucket) error {
			v := append([]byte(nil), b.Get(boltkv.Uint64Key(3))...)
			i := len(`{"seq":3,"version":3,"proposal_id":"","proposer":"`)
			v[i] = 'X' // alice -> Xlice
			return b.Put(boltkv.Uint64Key(3), v)
		}, 3},
		{"deleted record", func(b *bolt.Bucket) error { return b.Delete(boltkv.Uint64Key(2)) }, 2},
		{"deleted last record", func(b *bolt.Bucket) error { return b.Delete(boltkv.Uint64Key(5)) }, 5},
		{"swapped records", func(b *bolt.Bucket) error {
			v2 := append([]byte(nil), b.Get(boltkv.Uint64Key(2))...)
			v4 := append([]byte(nil), b.Get(boltkv.Uint64Key(4))...)
			if err := b.Put(boltkv.Uint64Key(2), v4); err != nil {
				return err
			}
			return b.Put(boltkv.Uint64Key(4), v2)
		}, 2},
		{"garbage value", func(b *bolt.Bucket) error { return b.Put(boltkv.Uint64Key(4), []byte("{not json")) }, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := fillAudit(t)
			editFile(t, path, c.edit)
			s, err := boltstore.Open(path, boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, _, err = trustregistry.VerifyStoreAudit(context.Background(), s)
			var ae *trustregistry.AuditError
			if !errors.As(err, &ae) || !errors.Is(err, trustregistry.ErrAuditBroken) {
				t.Fatalf("verify: %v", err)
			}
			t.Logf("detected: %v", err)
			if ae.Record != c.record {
				t.Fatalf("reported record %d, want %d", ae.Record, c.record)
			}
		})
	}
}
