// Package dnstest runs a small authoritative DNS server on loopback (UDP
// and TCP, the same port) serving TXT records from memory, for tests and
// examples that prove identities through DNS without the Internet.
package dnstest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Server serves TXT records on 127.0.0.1.
type Server struct {
	// Addr is host:port of the server (UDP and TCP).
	Addr string

	mu      sync.Mutex
	records map[string][]string
	ttl     uint32
	signed  map[string]bool
	delay   map[string]time.Duration
	queries int

	udp, tcp *dns.Server
}

// Start starts a server; Close stops it.
func Start() (*Server, error) {
	s := &Server{records: map[string][]string{}, signed: map[string]bool{}, delay: map[string]time.Duration{}, ttl: 300}
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	// The TCP port must match the UDP one, which another process may hold: retry.
	for range 20 {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("dnstest: %w", err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dnstest: %w", err)
	}
	s.Addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: ln, Handler: h}
	var ready sync.WaitGroup
	ready.Add(2)
	s.udp.NotifyStartedFunc = ready.Done
	s.tcp.NotifyStartedFunc = ready.Done
	go func() { _ = s.udp.ActivateAndServe() }()
	go func() { _ = s.tcp.ActivateAndServe() }()
	ready.Wait()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.udp.ShutdownContext(ctx)
	_ = s.tcp.ShutdownContext(ctx)
}

func key(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// SetTXT replaces the TXT records of name (none removes the name).
func (s *Server) SetTXT(name string, records ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(records) == 0 {
		delete(s.records, key(name))
		return
	}
	s.records[key(name)] = records
}

// SetSigned makes answers for name carry the AD bit, as a validating
// resolver's would for a DNSSEC-signed zone.
func (s *Server) SetSigned(name string, signed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signed[key(name)] = signed
}

// SetDelay delays answers for name (to provoke timeouts).
func (s *Server) SetDelay(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay[key(name)] = d
}

// SetTTL sets the TTL of the records served.
func (s *Server) SetTTL(seconds uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = seconds
}

// Queries returns the number of queries answered so far.
func (s *Server) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

func (s *Server) serve(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.queries++
	recs, found := s.records[name]
	m.AuthenticatedData = s.signed[name]
	delay, ttl := s.delay[name], s.ttl
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if found && q.Qtype == dns.TypeTXT {
		for _, rec := range recs {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl}, Txt: split(rec)})
		}
	}
	if !found {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
			Ns: "ns.test.", Mbox: "hostmaster.test.", Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 60}}
	}
	if _, udp := w.LocalAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if o := r.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	_ = w.WriteMsg(m)
}

// split cuts a record into the 255-byte strings of a TXT RR.
func split(rec string) []string {
	var out []string
	for len(rec) > 255 {
		out = append(out, rec[:255])
		rec = rec[255:]
	}
	return append(out, rec)
}
