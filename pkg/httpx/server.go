package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server timeouts. WriteTimeout leaves room for 25-second long-polls.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 64 << 10
	ShutdownTimeout   = 10 * time.Second
)

// Server serves one handler on one address until its context ends.
type Server struct {
	// Addr is host:port; port 0 picks a free port (see OnListen).
	Addr    string
	Handler http.Handler
	Logger  *slog.Logger
	// Name labels log lines.
	Name string
	// TLSConfig, when set, serves HTTPS (with client certificates if it asks for them).
	TLSConfig *tls.Config
	// OnListen, when set, is called with the bound address before serving starts.
	OnListen func(addr net.Addr)
	// Listener, when set, is served instead of listening on Addr (a caller that must know the
	// address before it builds the handler listens first).
	Listener net.Listener
}

// Run listens and serves until ctx ends, then shuts down gracefully, waiting up to
// ShutdownTimeout for requests in flight.
func (s *Server) Run(ctx context.Context) error {
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	ln := s.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.Addr); err != nil {
			return fmt.Errorf("%s: listen on %s: %w", s.Name, s.Addr, err)
		}
	}
	if s.TLSConfig != nil {
		ln = tls.NewListener(ln, s.TLSConfig)
	}
	if s.OnListen != nil {
		s.OnListen(ln.Addr())
	}
	srv := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	logger.Info("listening", "service", s.Name, "addr", ln.Addr().String(), "tls", s.TLSConfig != nil)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s: serve: %w", s.Name, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("%s: shutdown: %w", s.Name, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: serve: %w", s.Name, err)
	}
	logger.Info("stopped", "service", s.Name)
	return nil
}
