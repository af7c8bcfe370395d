package httpx_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/idport/idport/internal/testpki"
	"github.com/idport/idport/pkg/httpx"
)

// serveTLS runs an httpx.Server with cfg on a loopback port and returns its address.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	srv := &httpx.Server{Addr: "127.0.0.1:0", Name: "test", Logger: slog.New(slog.DiscardHandler), TLSConfig: cfg,
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }),
		OnListen: func(a net.Addr) { addrc <- a.String() }}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-addrc:
		return a
	case err := <-done:
		t.Fatalf("server: %v", err)
	}
	return ""
}

func peerSerial(t *testing.T, addr string, cfg *tls.Config) (int64, error) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	// A TLS 1.3 server checks the client certificate after the handshake: a round trip shows it.
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
		return 0, err
	}
	buf := make([]byte, 64)
	if _, err := conn.Read(buf); err != nil {
		return 0, err
	}
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
}

func TestTLSReloadsReplacedCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, dir, "test")
	first := ca.Server(t, "server", "first")
	cfg, err := httpx.TLSFiles{CertFile: first.CertFile, KeyFile: first.KeyFile, Logger: slog.New(slog.DiscardHandler)}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Fatalf("MinVersion = %x", cfg.MinVersion)
	}
	addr := serveTLS(t, cfg)
	client := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
	got, err := peerSerial(t, addr, client)
	if err != nil || got != first.Cert.SerialNumber.Int64() {
		t.Fatalf("first connection: serial %d, %v", got, err)
	}
	second := ca.Server(t, "server", "second") // replaces server.crt and server.key
	time.Sleep(150 * time.Millisecond)         // past the stat interval
	got, err = peerSerial(t, addr, client)
	if err != nil || got != second.Cert.SerialNumber.Int64() {
		t.Fatalf("after the files were replaced: serial %d (want %d), %v", got, second.Cert.SerialNumber.Int64(), err)
	}
	// TLS 1.1 is refused.
	old := client.Clone()
	old.MaxVersion = tls.VersionTLS11
	if _, err := peerSerial(t, addr, old); err == nil {
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

func TestTLSClientCertificates(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, dir, "server")
	clients := testpki.NewCA(t, dir, "clients")
	srv := ca.Server(t, "server", "server")
	good := clients.Client(t, "backend", "backend")
	stranger := testpki.NewCA(t, dir, "other").Client(t, "stranger", "stranger")

	for _, require := range []bool{false, true} {
		cfg, err := httpx.TLSFiles{CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: clients.File, RequireClientCert: require}.Config()
		if err != nil {
			t.Fatal(err)
		}
		addr := serveTLS(t, cfg)
		base := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
		withCert := base.Clone()
		withCert.Certificates = []tls.Certificate{good.TLS}
		if _, err := peerSerial(t, addr, withCert); err != nil {
			t.Fatalf("require=%v: a client with a certificate of the client CA: %v", require, err)
		}
		if _, err := peerSerial(t, addr, base); (err == nil) == require {
			t.Fatalf("require=%v: a client without a certificate: err %v", require, err)
		}
		bad := base.Clone()
		// Sent whatever CAs the server names (Go's client would otherwise send none).
		bad.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &stranger.TLS, nil }
		if _, err := peerSerial(t, addr, bad); err == nil {
			t.Fatalf("require=%v: a certificate of another CA was accepted", require)
		}
	}
	if _, err := (httpx.TLSFiles{CertFile: srv.CertFile, KeyFile: srv.KeyFile, RequireClientCert: true}).Config(); err == nil {
		t.Fatal("requiring client certificates without a CA must fail")
	}
	if _, err := (httpx.TLSFiles{CertFile: srv.CertFile}).Config(); err == nil {
		t.Fatal("a certificate without its key must fail")
	}
}
