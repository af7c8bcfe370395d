package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/idport/idport/pkg/httpx"
)

// tlsFlags are the HTTPS flags every service takes (one implementation: httpx.TLSFiles).
type tlsFlags struct {
	cert, key, clientCA string
	requireClientCert   bool
}

// register adds --tls-cert, --tls-key, --client-ca and --require-client-cert; clientUse says
// what client certificates are for on this service.
func (f *tlsFlags) register(fs *flag.FlagSet, clientUse string) {
	fs.StringVar(&f.cert, "tls-cert", "", "TLS certificate chain file (PEM); serves HTTPS (TLS 1.2 minimum) when set with --tls-key; re-read when the file changes")
	fs.StringVar(&f.key, "tls-key", "", "TLS private key file (PEM), re-read with --tls-cert")
	fs.StringVar(&f.clientCA, "client-ca", "", "CA bundle (PEM) that client certificates must chain to: "+clientUse)
	fs.BoolVar(&f.requireClientCert, "require-client-cert", false, "refuse TLS connections without a client certificate of --client-ca")
}

// config returns the listener's TLS configuration, nil without --tls-cert and --tls-key.
func (f *tlsFlags) config(logger *slog.Logger) (*tls.Config, error) {
	files := httpx.TLSFiles{CertFile: f.cert, KeyFile: f.key, ClientCAFile: f.clientCA, RequireClientCert: f.requireClientCert, Logger: logger}
	cfg, err := files.Config()
	if err != nil {
		return nil, fmt.Errorf("--tls-cert, --tls-key, --client-ca, --require-client-cert: %w", err)
	}
	return cfg, nil
}

// scheme is the URL scheme the listener serves.
func (f *tlsFlags) scheme() string {
	if f.cert != "" {
		return "https"
	}
	return "http"
}

// rateFlags are the per-client rate limit flags of the issuer and the verifier.
type rateFlags struct {
	rate  float64
	burst int
}

func (f *rateFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&f.rate, "rate-limit", 0, "requests per second allowed to each client (its API key when it authenticates with one, else its address), answered 429 with Retry-After beyond; 0 turns the limit off")
	fs.IntVar(&f.burst, "rate-burst", 0, "requests a client may make at once before --rate-limit applies (default: --rate-limit rounded up)")
}

// limit returns the rate limit of the flags, nil when off.
func (f *rateFlags) limit() (*httpx.RateLimit, error) {
	switch {
	case f.rate < 0 || f.burst < 0:
		return nil, errors.New("--rate-limit and --rate-burst must not be negative")
	case f.rate == 0 && f.burst > 0:
		return nil, errors.New("--rate-burst needs --rate-limit")
	case f.rate == 0:
		return nil, nil
	}
	return &httpx.RateLimit{Rate: f.rate, Burst: f.burst}, nil
}

// caPool returns the CA certificates of the PEM file path as a pool that replaces the
// system's CAs, for the flag named flag (in its errors).
func caPool(flag, path string) (*x509.CertPool, error) {
	certs, err := caCerts(flag, path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// caCerts returns the CA certificates of the PEM file path, for the flag named flag (in its
// errors): blocks that are not certificates, or do not parse, are skipped as
// x509.CertPool.AppendCertsFromPEM skips them, and a file without any is refused. Given to
// did.NetOptions.ExtraRoots they add to the system's CAs.
func caCerts(flag, path string) ([]*x509.Certificate, error) {
	rest, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	var certs []*x509.Certificate
	for len(rest) > 0 {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" || len(blk.Headers) != 0 {
			continue
		}
		if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
			certs = append(certs, c)
		}
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("--%s %s: no PEM certificates", flag, path)
	}
	return certs, nil
}
