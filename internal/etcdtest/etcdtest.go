// Package etcdtest starts a real embedded etcd server for tests (go.etcd.io/etcd/server/v3/embed)
// on free loopback ports in a temporary directory.
package etcdtest

import (
	"errors"
	"net"
	"net/url"
	"os"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Server is a running embedded etcd.
type Server struct {
	e   *embed.Etcd
	dir string
	// Endpoint is the client URL ("http://127.0.0.1:port").
	Endpoint string
}

// Start starts a one-member cluster; Close stops it and removes its data.
func Start() (*Server, error) {
	dir, err := os.MkdirTemp("", "idport-etcd-")
	if err != nil {
		return nil, err
	}
	var last error
	for range 3 { // a freed port can be taken by someone else before etcd binds it: retry
		e, err := start(dir)
		if err == nil {
			return &Server{e: e, dir: dir, Endpoint: "http://" + e.Clients[0].Addr().String()}, nil
		}
		last = err
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	os.RemoveAll(dir)
	return nil, last
}

// Close stops the server and removes its data directory.
func (s *Server) Close() {
	s.e.Close()
	os.RemoveAll(s.dir)
}

// freePort asks the kernel for a free loopback port (embed does not take port 0).
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func start(dir string) (*embed.Etcd, error) {
	clientAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	peerAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	cu, pu := url.URL{Scheme: "http", Host: clientAddr}, url.URL{Scheme: "http", Host: peerAddr}
	cfg := embed.NewConfig()
	cfg.Name = "idport-test"
	cfg.Dir = dir
	cfg.LogLevel = "error"
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, err
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, errors.New("embedded etcd not ready after 30s")
	}
}
