package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// TLSFiles names the PEM files a listener serves HTTPS with. The certificate pair is re-read
// when either file changes (new modification time, size or inode), so a renewed certificate is
// served to new connections without a restart.
type TLSFiles struct {
	// CertFile and KeyFile hold the server certificate chain and its private key (PEM).
	CertFile, KeyFile string
	// ClientCAFile, when set, holds the CA bundle (PEM) that client certificates must chain to.
	// Clients may then present a certificate; with RequireClientCert they must.
	ClientCAFile string
	// RequireClientCert refuses TLS connections without a valid client certificate
	// (needs ClientCAFile).
	RequireClientCert bool
	// Logger receives reload events (slog.Default when nil).
	Logger *slog.Logger
}

// ErrTLSConfig marks an inconsistent or unreadable TLS configuration.
var ErrTLSConfig = errors.New("tls configuration")

// Enabled reports whether any TLS file is named.
func (f TLSFiles) Enabled() bool {
	return f.CertFile != "" || f.KeyFile != "" || f.ClientCAFile != "" || f.RequireClientCert
}

// Config returns the server TLS configuration (TLS 1.2 minimum) or nil when no file is named.
// The certificate pair is loaded now, so a broken pair fails at start, and reloaded on change.
func (f TLSFiles) Config() (*tls.Config, error) {
	if !f.Enabled() {
		return nil, nil
	}
	if f.CertFile == "" || f.KeyFile == "" {
		return nil, fmt.Errorf("%w: a certificate needs both its certificate file and its key file", ErrTLSConfig)
	}
	if f.RequireClientCert && f.ClientCAFile == "" {
		return nil, fmt.Errorf("%w: requiring client certificates needs a client CA bundle", ErrTLSConfig)
	}
	logger := f.Logger
	if logger == nil {
		logger = slog.Default()
	}
	r := &certReloader{certFile: f.CertFile, keyFile: f.KeyFile, logger: logger}
	if err := r.load(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.get}
	if f.ClientCAFile != "" {
		pem, err := os.ReadFile(f.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: client CA: %w", ErrTLSConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: client CA %s: no PEM certificates", ErrTLSConfig, f.ClientCAFile)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
		if f.RequireClientCert {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return cfg, nil
}

// certReloader serves a certificate pair, re-reading it when one of its files changes.
type certReloader struct {
	certFile, keyFile string
	logger            *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	certSt  os.FileInfo
	keySt   os.FileInfo
	checked time.Time
}

// reloadCheckEvery bounds how often the files are stat'ed (once per handshake at most this often).
const reloadCheckEvery = 100 * time.Millisecond

func (r *certReloader) load() error {
	cs, err := os.Stat(r.certFile)
	if err != nil {
		return fmt.Errorf("%w: certificate: %w", ErrTLSConfig, err)
	}
	ks, err := os.Stat(r.keyFile)
	if err != nil {
		return fmt.Errorf("%w: key: %w", ErrTLSConfig, err)
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("%w: key pair: %w", ErrTLSConfig, err)
	}
	r.cert, r.certSt, r.keySt = &cert, cs, ks
	return nil
}

func changed(old os.FileInfo, path string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false // a file being replaced: keep serving the old pair
	}
	return !os.SameFile(old, st) || !st.ModTime().Equal(old.ModTime()) || st.Size() != old.Size()
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= reloadCheckEvery {
		r.checked = now
		if changed(r.certSt, r.certFile) || changed(r.keySt, r.keyFile) {
			if err := r.load(); err != nil {
				// Half-written files (certificate renewed, key not yet): retry on the next handshake.
				r.checked = time.Time{}
				r.logger.Warn("TLS certificate changed but does not load yet; serving the previous one", "cert", r.certFile, "err", err)
			} else {
				r.logger.Info("TLS certificate reloaded", "cert", r.certFile)
			}
		}
	}
	return r.cert, nil
}
