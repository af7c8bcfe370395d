package dnstxt_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/idport/idport/pkg/dnstxt"
	"github.com/idport/idport/pkg/dnstxt/dnstest"
)

func server(t *testing.T) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

const record = "openatts a=dns-did; p=did:ethr:0x14791697260e4c9a71f18484c9f997b308e59325#controller; v=1.0;"

func TestClientLookup(t *testing.T) {
	s := server(t)
	s.SetTXT("merlion.example.sg", record, "v=spf1 -all")
	s.SetSigned("merlion.example.sg", true)
	c := &dnstxt.Client{Servers: []string{s.Addr}}
	a, err := c.LookupTXT(context.Background(), "merlion.example.sg")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 2 || a.Records[0] != record || !a.Authenticated || a.TTL != 300*time.Second {
		t.Fatalf("%+v", a)
	}
	a, err = c.LookupTXT(context.Background(), "nobody.example.sg")
	if err != nil || len(a.Records) != 0 || a.TTL != 60*time.Second || a.Authenticated {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestClientTimeout(t *testing.T) {
	s := server(t)
	s.SetTXT("slow.example.sg", record)
	s.SetDelay("slow.example.sg", 2*time.Second)
	c := &dnstxt.Client{Servers: []string{s.Addr}, Limits: dnstxt.Limits{Timeout: 200 * time.Millisecond}}
	start := time.Now()
	_, err := c.LookupTXT(context.Background(), "slow.example.sg")
	if !errors.Is(err, dnstxt.ErrUnavailable) || time.Since(start) > time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
}

func TestClientLimitsAndTCP(t *testing.T) {
	s := server(t)
	long := strings.Repeat("x", 3000)
	s.SetTXT("big.example.sg", long)
	c := &dnstxt.Client{Servers: []string{s.Addr}}
	if _, err := c.LookupTXT(context.Background(), "big.example.sg"); !errors.Is(err, dnstxt.ErrTooLarge) {
		t.Fatalf("record limit: %v", err)
	}
	// 2 KiB fits one record but not a 1232-byte UDP answer: the retry over TCP reads it.
	s.SetTXT("big.example.sg", strings.Repeat("y", 2000))
	a, err := c.LookupTXT(context.Background(), "big.example.sg")
	if err != nil || len(a.Records[0]) != 2000 {
		t.Fatalf("tcp: %v", err)
	}
	many := make([]string, 40)
	for i := range many {
		many[i] = "r" + strings.Repeat("z", i)
	}
	s.SetTXT("many.example.sg", many...)
	if _, err := c.LookupTXT(context.Background(), "many.example.sg"); !errors.Is(err, dnstxt.ErrTooLarge) {
		t.Fatalf("records: %v", err)
	}
}

func TestCache(t *testing.T) {
	s := server(t)
	s.SetTXT("merlion.example.sg", record)
	s.SetTTL(120)
	now := time.Unix(1_800_000_000, 0)
	c := &dnstxt.Cache{Resolver: &dnstxt.Client{Servers: []string{s.Addr}}, Now: func() time.Time { return now }}
	for range 3 {
		if _, err := c.LookupTXT(context.Background(), "merlion.example.sg"); err != nil {
			t.Fatal(err)
		}
	}
	if s.Queries() != 1 {
		t.Fatalf("%d queries", s.Queries())
	}
	a, _ := c.LookupTXT(context.Background(), "merlion.example.sg")
	if !a.Cached {
		t.Fatal("not cached")
	}
	now = now.Add(121 * time.Second)
	if _, err := c.LookupTXT(context.Background(), "merlion.example.sg"); err != nil || s.Queries() != 2 {
		t.Fatalf("expiry: %v %d", err, s.Queries())
	}
}

func TestDoH(t *testing.T) {
	s := server(t)
	s.SetTXT("merlion.example.sg", record)
	s.SetSigned("merlion.example.sg", true)
	doh := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/dns-message" {
			http.Error(w, "bad type", http.StatusUnsupportedMediaType)
			return
		}
		body, _ := io.ReadAll(r.Body)
		q := new(dns.Msg)
		if err := q.Unpack(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in, err := dns.Exchange(q, s.Addr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out, _ := in.Pack()
		w.Header().Set("Content-Type", "application/dns-message")
		_, _ = w.Write(out)
	}))
	defer doh.Close()
	r := &dnstxt.DoH{URL: doh.URL + "/dns-query", HTTPClient: doh.Client()}
	a, err := r.LookupTXT(context.Background(), "merlion.example.sg")
	if err != nil || len(a.Records) != 1 || !a.Authenticated {
		t.Fatalf("%+v %v", a, err)
	}
}
