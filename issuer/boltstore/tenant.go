package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/errs"
)

var (
	// bucketTenants holds one nested bucket per tenant, which holds that tenant's own
	// tenantBuckets: a tenant's view never reads or writes outside it.
	bucketTenants = []byte("tenants")
	// bucketTenantRecs holds the tenant records (issuer.TenantRecord as JSON) by name.
	bucketTenantRecs = []byte("tenant_records")
)

var _ issuer.TenantStore = (*Store)(nil)

// bucket returns a bucket of the store's space: the top-level bucket for the deployment's
// store, the bucket nested in the tenant's own for a tenant's view (nil when absent).
func (s *Store) bucket(tx *bolt.Tx, name []byte) *bolt.Bucket {
	if s.tenant == nil {
		return tx.Bucket(name)
	}
	all := tx.Bucket(bucketTenants)
	if all == nil {
		return nil
	}
	t := all.Bucket(s.tenant)
	if t == nil {
		return nil
	}
	return t.Bucket(name)
}

// Tenant implements issuer.TenantStore: it creates the tenant's buckets when they are
// missing and returns its view, which shares the file (closing it does nothing).
func (s *Store) Tenant(ctx context.Context, name string) (issuer.Store, error) {
	if s.tenant != nil {
		return nil, errs.Errorf(issuer.CodeConfig, "invalid configuration: a tenant's store holds no tenants")
	}
	if err := issuer.CheckTenantName(name); err != nil {
		return nil, err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		all, err := tx.CreateBucketIfNotExists(bucketTenants)
		if err != nil {
			return err
		}
		t, err := all.CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return err
		}
		for _, b := range tenantBuckets {
			if _, err := t.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("open tenant "+name, err)
	}
	return &Store{db: s.db, group: s.group, tenant: []byte(name)}, nil
}

// PutTenant implements issuer.TenantStore.
func (s *Store) PutTenant(ctx context.Context, t issuer.TenantRecord) error {
	if s.tenant != nil {
		return errs.Errorf(issuer.CodeConfig, "invalid configuration: a tenant's store holds no tenants")
	}
	return wrap("put tenant", s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketTenantRecs)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(t.Name), t)
	}))
}

// Tenants implements issuer.TenantStore; a tenant's view has none.
func (s *Store) Tenants(ctx context.Context) ([]issuer.TenantRecord, error) {
	var out []issuer.TenantRecord
	if s.tenant != nil {
		return nil, nil
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTenantRecs)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r issuer.TenantRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("tenant %s: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, wrap("tenants", err)
}

// markTenants writes the backup marker into every tenant's meta bucket, with the tenant's
// own list generation, so that each tenant's issuer moves to a fresh generation too.
func markTenants(tx *bolt.Tx, takenAt time.Time) error {
	all := tx.Bucket(bucketTenants)
	if all == nil {
		return nil
	}
	return all.ForEachBucket(func(name []byte) error {
		meta := all.Bucket(name).Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		m := issuer.RestoreMarker{TakenAt: takenAt.UTC(), SourceGeneration: readGeneration(meta)}
		return putJSON(meta, keyRestored, m)
	})
}

// getJSON decodes the value at key of b into v; false when b or the key is absent.
func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	if b == nil {
		return false, nil
	}
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %s: %w", key, err)
	}
	return true, nil
}

// putJSON encodes v as JSON at key of b.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	if b == nil {
		return fmt.Errorf("put %s: bucket missing", key)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return b.Put(key, raw)
}
