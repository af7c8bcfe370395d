package dnstxt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/idport/idport/pkg/errs"
)

// Client looks up TXT records from name servers over UDP, retrying over
// TCP when an answer is truncated. It sets the AD bit in queries (RFC
// 6840) so that a validating resolver reports whether it validated.
type Client struct {
	// Servers are host:port addresses of recursive resolvers, tried in
	// order.
	Servers []string
	// Limits bound each lookup.
	Limits Limits
}

// System returns a Client over the name servers of /etc/resolv.conf.
func System(l Limits) (*Client, error) {
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return nil, fmt.Errorf("dnstxt: reading the system resolver configuration: %w", err)
	}
	c := &Client{Limits: l}
	for _, s := range cfg.Servers {
		c.Servers = append(c.Servers, net.JoinHostPort(s, cfg.Port))
	}
	if len(c.Servers) == 0 {
		return nil, errors.New("dnstxt: no name server in /etc/resolv.conf")
	}
	return c, nil
}

func query(name string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	m.RecursionDesired = true
	m.AuthenticatedData = true
	m.SetEdns0(1232, false)
	return m
}

// LookupTXT implements Resolver.
func (c *Client) LookupTXT(ctx context.Context, name string) (Answer, error) {
	l := c.Limits.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	var last error = errors.New("no server configured")
	for _, srv := range c.Servers {
		in, err := c.exchange(ctx, "udp", srv, name, l)
		if err == nil && in.Truncated {
			in, err = c.exchange(ctx, "tcp", srv, name, l)
		}
		if err != nil {
			last = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		return answer(name, in, l)
	}
	return Answer{}, unavailable(name, errors.Join(last, ctx.Err()))
}

func (c *Client) exchange(ctx context.Context, network, srv, name string, l Limits) (*dns.Msg, error) {
	cl := &dns.Client{Net: network, UDPSize: 1232, Timeout: l.Timeout}
	in, _, err := cl.ExchangeContext(ctx, query(name), srv)
	if err != nil {
		return nil, err
	}
	if in.Len() > l.MaxMessageBytes {
		return nil, errs.New(CodeTooLarge, fmt.Sprintf("DNS answer for %s is larger than %d bytes", name, l.MaxMessageBytes))
	}
	return in, nil
}

// answer reads the TXT records of a response within the limits.
func answer(name string, in *dns.Msg, l Limits) (Answer, error) {
	switch in.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return Answer{}, unavailable(name, fmt.Errorf("server answered %s", dns.RcodeToString[in.Rcode]))
	}
	a := Answer{Authenticated: in.AuthenticatedData}
	var ttl uint32
	first := true
	for _, rr := range in.Answer {
		txt, ok := rr.(*dns.TXT)
		if !ok || !strings.EqualFold(strings.TrimSuffix(txt.Hdr.Name, "."), strings.TrimSuffix(name, ".")) {
			continue
		}
		if len(a.Records) == l.MaxRecords {
			return Answer{}, errs.New(CodeTooLarge, fmt.Sprintf("%s has more than %d TXT records", name, l.MaxRecords))
		}
		rec := strings.Join(txt.Txt, "")
		if len(rec) > l.MaxRecordBytes {
			return Answer{}, errs.New(CodeTooLarge, fmt.Sprintf("a TXT record of %s is longer than %d bytes", name, l.MaxRecordBytes))
		}
		a.Records = append(a.Records, rec)
		if first || txt.Hdr.Ttl < ttl {
			ttl, first = txt.Hdr.Ttl, false
		}
	}
	if first { // no record: the negative TTL of the zone's SOA (RFC 2308)
		for _, rr := range in.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				ttl = min(soa.Hdr.Ttl, soa.Minttl)
			}
		}
	}
	a.TTL = time.Duration(ttl) * time.Second
	return a, nil
}

// DoH looks up TXT records with DNS over HTTPS (RFC 8484, POST of
// application/dns-message).
type DoH struct {
	// URL is the resolver's endpoint, e.g. https://dns.google/dns-query.
	URL string
	// HTTPClient sends the queries (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Limits bound each lookup.
	Limits Limits
}

// LookupTXT implements Resolver.
func (d *DoH) LookupTXT(ctx context.Context, name string) (Answer, error) {
	l := d.Limits.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	q := query(name)
	q.Id = 0 // RFC 8484 §4.1: cache friendly
	wire, err := q.Pack()
	if err != nil {
		return Answer{}, unavailable(name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(wire))
	if err != nil {
		return Answer{}, unavailable(name, err)
	}
	req.Header.Set("Content-Type", "application/dns-message")
	req.Header.Set("Accept", "application/dns-message")
	hc := d.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{}, unavailable(name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Answer{}, unavailable(name, fmt.Errorf("DoH server answered HTTP %d", resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(l.MaxMessageBytes)+1))
	if err != nil {
		return Answer{}, unavailable(name, err)
	}
	if len(body) > l.MaxMessageBytes {
		return Answer{}, errs.New(CodeTooLarge, fmt.Sprintf("DNS answer for %s is larger than %d bytes", name, l.MaxMessageBytes))
	}
	in := new(dns.Msg)
	if err := in.Unpack(body); err != nil {
		return Answer{}, unavailable(name, err)
	}
	return answer(name, in, l)
}
