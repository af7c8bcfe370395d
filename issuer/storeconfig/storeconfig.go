// Package storeconfig opens the issuer's Store from configuration: the one place that chooses
// between the bbolt file in a data directory (boltstore, the default; one issuer process) and
// an etcd cluster shared by several issuer processes (etcdstore). The issuer command, its
// management subcommands and tests open their store here.
package storeconfig

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/issuer/etcdstore"
)

// Store kinds.
const (
	KindBolt = "bolt"
	KindEtcd = "etcd"
)

// Config chooses and configures the store.
type Config struct {
	// Kind is KindBolt (the default when empty) or KindEtcd.
	Kind string
	// DataDir holds the bbolt file boltstore.DBFile (KindBolt).
	DataDir string
	// Bolt tunes the bbolt store.
	Bolt boltstore.Options
	// Etcd configures the etcd store (KindEtcd); an empty prefix is etcdstore.DefaultPrefix.
	Etcd etcdstore.Config
}

// Shared reports whether the configured store may be shared by several issuer processes (which
// then follow each other's changes: see issuer.Issuer.Follow).
func (c Config) Shared() bool { return c.Kind == KindEtcd }

// Open opens the configured store; the caller closes it.
func Open(ctx context.Context, cfg Config) (issuer.Store, error) {
	switch cfg.Kind {
	case "", KindBolt:
		if cfg.DataDir == "" {
			return nil, errors.New("bolt store: a data directory is required")
		}
		return boltstore.Open(filepath.Join(cfg.DataDir, boltstore.DBFile), cfg.Bolt)
	case KindEtcd:
		if cfg.Etcd.Client == nil && len(cfg.Etcd.Endpoints) == 0 {
			return nil, errors.New("etcd store: endpoints are required")
		}
		return etcdstore.Open(ctx, cfg.Etcd)
	default:
		return nil, fmt.Errorf("store kind %q: want %s or %s", cfg.Kind, KindBolt, KindEtcd)
	}
}
