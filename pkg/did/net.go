package did

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// NetOptions configures SafeHTTPClient: the outbound HTTP client used for
// did:web documents and status lists.
type NetOptions struct {
	// Timeout bounds a whole request, redirects and body included
	// (default 5 s).
	Timeout time.Duration
	// AllowHosts names hosts (DNS names or IP literals, without port,
	// case-insensitive) that may resolve to any address, loopback and
	// private included. For test and private deployments only.
	AllowHosts []string
	// AllowPrivate turns the address guard off entirely.
	AllowPrivate bool
	// RootCAs, when set, replaces the system roots for TLS verification.
	RootCAs *x509.CertPool
	// ExtraRoots are added to the system roots (ignored when RootCAs is set).
	ExtraRoots []*x509.Certificate
	// AllowHTTP permits plain http:// URLs (tests only).
	AllowHTTP bool
	// MaxRedirects bounds redirects (default 3; negative forbids them).
	MaxRedirects int
	// WrapTransport, when set, wraps the client's transport (guards
	// included), e.g. to trace fetches and propagate trace context. The
	// package itself knows no tracing library.
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

const defaultTimeout = 5 * time.Second

// blockedPrefixes are address ranges that are never dialled unless allowed:
// besides what netip classifies as loopback, private, link-local,
// unspecified and multicast, the shared (CGNAT), benchmarking, reserved,
// "this network" and IPv6 documentation / discard / NAT64 ranges.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// ForbiddenAddr reports why the SSRF guard refuses addr, or "" when it
// may be dialled. IPv4-mapped IPv6 addresses are judged as IPv4.
func ForbiddenAddr(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.IsLoopback():
		return "loopback"
	case addr.IsPrivate():
		return "private"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "link-local"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsMulticast(), addr.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, p := range blockedPrefixes {
		if p.Contains(addr) {
			return "reserved"
		}
	}
	return ""
}

// guardControl is a net.Dialer Control function that refuses forbidden
// addresses. It sees the address actually being connected to, after DNS
// resolution, so DNS rebinding cannot slip past it.
func guardControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse dial address %q: %v", ErrForbiddenAddress, address, err)
	}
	if why := ForbiddenAddr(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s address %s", ErrForbiddenAddress, why, ap.Addr())
	}
	return nil
}

// SafeHTTPClient returns an HTTP client whose connections are checked at
// dial time: unless the request host is in o.AllowHosts or o.AllowPrivate
// is set, connecting to a loopback, private, link-local, unspecified,
// multicast or reserved address fails with ErrForbiddenAddress (also for
// every redirect hop and every address DNS returns). Proxies from the
// environment are not used. Plain http:// is refused unless o.AllowHTTP.
func SafeHTTPClient(o NetOptions) *http.Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	allowed := make(map[string]bool, len(o.AllowHosts))
	for _, h := range o.AllowHosts {
		allowed[strings.ToLower(strings.Trim(h, "[]"))] = true
	}
	open := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	guarded := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: guardControl}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("%w: dial address %q: %v", ErrForbiddenAddress, addr, err)
		}
		if o.AllowPrivate || allowed[strings.ToLower(host)] {
			return open.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case o.RootCAs != nil:
		tlsConf.RootCAs = o.RootCAs
	case len(o.ExtraRoots) > 0:
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for _, c := range o.ExtraRoots {
			pool.AddCert(c)
		}
		tlsConf.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dial,
		TLSClientConfig:        tlsConf,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
	maxRedirects := o.MaxRedirects
	if maxRedirects == 0 {
		maxRedirects = 3
	}
	var rt http.RoundTripper = &schemeGuard{next: tr, allowHTTP: o.AllowHTTP}
	if o.WrapTransport != nil {
		rt = o.WrapTransport(rt)
	}
	return &http.Client{
		Transport: rt,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("did: more than %d redirects", max(maxRedirects, 0))
			}
			return nil
		},
	}
}

// errSchemeRefused is returned for a plain http:// request without AllowHTTP.
var errSchemeRefused = errors.New("only https URLs are fetched")

// schemeGuard refuses non-https requests (redirect hops included) unless
// plain HTTP is allowed.
type schemeGuard struct {
	next      http.RoundTripper
	allowHTTP bool
}

func (g *schemeGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" && !(g.allowHTTP && r.URL.Scheme == "http") {
		return nil, fmt.Errorf("%w: %w: %s", ErrForbiddenAddress, errSchemeRefused, r.URL.Scheme)
	}
	return g.next.RoundTrip(r)
}
