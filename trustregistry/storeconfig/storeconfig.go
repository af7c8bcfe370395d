// Package storeconfig opens the trust registry's Store from configuration: the one place that
// chooses between the bbolt file in a data directory (boltstore, the default) and an etcd
// cluster shared by several registry processes (etcdstore). The registry command, the offline
// admin commands and tests all open their store here.
package storeconfig

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	"github.com/idport/idport/trustregistry/etcdstore"
)

// DBFile is the registry's bbolt file inside the data directory.
const DBFile = "registry.db"

// Store kinds.
const (
	KindBolt = "bolt"
	KindEtcd = "etcd"
)

// DefaultLeaseTTL is the lease of the etcd write lock when Config.LeaseTTL is zero.
const DefaultLeaseTTL = 10 * time.Second

// Config chooses and configures the store.
type Config struct {
	// Kind is KindBolt (the default when empty) or KindEtcd.
	Kind string
	// DataDir holds the bbolt file DBFile (KindBolt).
	DataDir string
	// Bolt tunes the bbolt store.
	Bolt boltstore.Options
	// Etcd configures the etcd store (KindEtcd).
	Etcd etcdstore.Config
	// LeaseTTL is the lease of the etcd write lock: a standby takes over this long after the
	// active registry dies (default DefaultLeaseTTL).
	LeaseTTL time.Duration
	// Logger reports waiting for and taking the etcd write lock (default slog.Default()).
	Logger *slog.Logger
}

// Opened is an open store. Lost is closed when an etcd registry loses its write lock (the
// process must stop writing then); it is nil for bbolt.
type Opened struct {
	Store trustregistry.Store
	Lost  <-chan struct{}
	close func() error
}

// Close releases the write lock (etcd) and closes the store.
func (o *Opened) Close() error { return o.close() }

// Open opens the configured store. For etcd it blocks, as a standby, until this process holds
// the prefix's write lock (or ctx ends): one registry process writes a prefix at a time.
func Open(ctx context.Context, cfg Config) (*Opened, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	switch cfg.Kind {
	case "", KindBolt:
		if cfg.DataDir == "" {
			return nil, errors.New("bolt store: a data directory is required")
		}
		st, err := boltstore.Open(filepath.Join(cfg.DataDir, DBFile), cfg.Bolt)
		if err != nil {
			return nil, err
		}
		return &Opened{Store: st, close: st.Close}, nil
	case KindEtcd:
		return openEtcd(ctx, cfg)
	default:
		return nil, fmt.Errorf("store kind %q: want %s or %s", cfg.Kind, KindBolt, KindEtcd)
	}
}

func openEtcd(ctx context.Context, cfg Config) (*Opened, error) {
	if cfg.Etcd.Client == nil && len(cfg.Etcd.Endpoints) == 0 {
		return nil, errors.New("etcd store: endpoints are required")
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	st, err := etcdstore.Open(ctx, cfg.Etcd)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	log.Info("waiting for the registry write lock in etcd (standby while another registry holds it)", "prefix", st.Prefix())
	lock, err := st.Lock(ctx, cfg.LeaseTTL)
	if err != nil {
		st.Close()
		return nil, err
	}
	log.Info("holding the registry write lock in etcd", "prefix", st.Prefix())
	return &Opened{Store: st, Lost: lock.Lost(), close: func() error {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := lock.Unlock(uctx); err != nil {
			log.Warn("releasing the registry write lock", "err", err)
		}
		return st.Close()
	}}, nil
}
