package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/idport/idport/pkg/etcdx"
)

// registerFor registers the flags that choose a service's store: --store bolt (the file in
// --data) or etcd, and how to reach etcd; prefix is the service's default key prefix.
func (f *storeFlags) registerFor(fs *flag.FlagSet, service, file, prefix string) {
	fs.StringVar(&f.kind, "store", "bolt", service+" store: bolt ("+file+" in --data) or etcd (--etcd-endpoints)")
	fs.StringVar(&f.endpoints, "etcd-endpoints", "", "comma-separated etcd client URLs (with --store etcd), e.g. https://10.0.0.1:2379,https://10.0.0.2:2379")
	fs.StringVar(&f.prefix, "etcd-prefix", prefix, "etcd key prefix of this "+service+"'s state")
	fs.StringVar(&f.etcdCA, "etcd-ca", "", "CA bundle (PEM) of the etcd servers' certificates")
	fs.StringVar(&f.etcdCert, "etcd-cert", "", "client certificate (PEM) for etcd, with --etcd-key")
	fs.StringVar(&f.etcdKey, "etcd-key", "", "client private key (PEM) for etcd")
	fs.StringVar(&f.etcdUser, "etcd-user", "", "etcd user name (etcd authentication, with --etcd-password-file)")
	fs.StringVar(&f.etcdPasswordFile, "etcd-password-file", "", "file holding the etcd user's password")
	fs.DurationVar(&f.etcdDialTimeout, "etcd-dial-timeout", 5*time.Second, "time to reach the etcd cluster at start")
}

// etcdConfig checks --store and returns the etcd connection the flags give (ok false for
// bolt).
func (f *storeFlags) etcdConfig() (cfg etcdx.Config, ok bool, err error) {
	switch f.kind {
	case "", "bolt":
		if f.endpoints != "" {
			return cfg, false, errors.New("--etcd-endpoints needs --store etcd")
		}
		return cfg, false, nil
	case "etcd":
	default:
		return cfg, false, fmt.Errorf("--store %q: want bolt or etcd", f.kind)
	}
	eps := splitList(f.endpoints)
	if len(eps) == 0 {
		return cfg, false, errors.New("--store etcd needs --etcd-endpoints")
	}
	tlsCfg, err := f.etcdTLS()
	if err != nil {
		return cfg, false, err
	}
	cfg = etcdx.Config{Endpoints: eps, Prefix: f.prefix, DialTimeout: f.etcdDialTimeout, TLS: tlsCfg, Username: f.etcdUser}
	if f.etcdPasswordFile != "" {
		b, err := os.ReadFile(f.etcdPasswordFile)
		if err != nil {
			return cfg, false, fmt.Errorf("--etcd-password-file: %w", err)
		}
		cfg.Password = strings.TrimSpace(string(b))
	}
	return cfg, true, nil
}
