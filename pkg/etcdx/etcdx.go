// Package etcdx connects the issuer's and the verifier's etcd stores to a cluster: one
// configuration shape (client or endpoints, TLS, authentication, key prefix) and one way to
// dial it and check that it answers.
package etcdx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrConfig reports an unusable configuration given to Connect.
var ErrConfig = errors.New("etcd: bad configuration")

// Config says how to reach a cluster and where a store keeps its keys.
type Config struct {
	// Client is an etcd client to use; the connection does not own it (Close leaves it open).
	// When nil, Connect makes one from Endpoints, TLS, Username and Password.
	Client *clientv3.Client
	// Endpoints are the etcd client URLs (when Client is nil).
	Endpoints []string
	// TLS for the connection to etcd (nil: plain).
	TLS *tls.Config
	// Username and Password for etcd authentication (optional).
	Username, Password string
	// DialTimeout bounds reaching the cluster in Connect (default 5s).
	DialTimeout time.Duration
	// Prefix is the key prefix of the store's state (a trailing "/" is added when missing).
	Prefix string
}

// Conn is a checked connection: the client and the store's key prefix (ending in "/").
type Conn struct {
	Client *clientv3.Client
	Prefix string
	owned  bool
}

// Connect makes (or takes) the client and checks that the cluster answers within DialTimeout.
func Connect(ctx context.Context, cfg Config) (*Conn, error) {
	if cfg.Prefix == "" || strings.ContainsRune(cfg.Prefix, 0) {
		return nil, fmt.Errorf("%w: key prefix %q", ErrConfig, cfg.Prefix)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	c := &Conn{Client: cfg.Client, Prefix: cfg.Prefix}
	if !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if c.Client == nil {
		if len(cfg.Endpoints) == 0 {
			return nil, fmt.Errorf("%w: no client and no endpoints", ErrConfig)
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: cfg.Endpoints, DialTimeout: cfg.DialTimeout, TLS: cfg.TLS,
			Username: cfg.Username, Password: cfg.Password})
		if err != nil {
			return nil, fmt.Errorf("etcd client for %v: %w", cfg.Endpoints, err)
		}
		c.Client, c.owned = cli, true
	}
	octx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	if _, err := c.Client.Get(octx, c.Prefix, clientv3.WithCountOnly()); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("reaching etcd cluster %v: %w", c.Client.Endpoints(), err)
	}
	return c, nil
}

// Close closes the client when Connect made it.
func (c *Conn) Close() error {
	if c.owned {
		return c.Client.Close()
	}
	return nil
}
