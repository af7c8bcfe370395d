package statuslist_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/statuslist"
)

// slowServer answers 404 after a delay and records the peak of concurrent
// requests and their total.
type slowServer struct {
	*httptest.Server
	cur, peak, total atomic.Int64
}

func newSlowServer(t *testing.T, delay time.Duration) *slowServer {
	s := &slowServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.cur.Add(1)
		s.total.Add(1)
		for {
			p := s.peak.Load()
			if n <= p || s.peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(delay)
		s.cur.Add(-1)
		http.NotFound(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func slowFetcher(t *testing.T, perHost int) *statuslist.Fetcher {
	f, err := statuslist.NewFetcher(statuslist.FetcherOptions{
		Net:      did.NetOptions{AllowHosts: []string{"127.0.0.1"}, AllowHTTP: true, Timeout: 10 * time.Second},
		Resolver: did.NewResolver(did.ResolverOptions{}), ErrorTTL: -1, MaxInFlightPerHost: perHost,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFetchesPerHostAreCapped: 40 different lists on one slow host are
// fetched at most 3 at a time.
func TestFetchesPerHostAreCapped(t *testing.T) {
	srv := newSlowServer(t, 30*time.Millisecond)
	f := slowFetcher(t, 3)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = f.Bitstring(context.Background(), fmt.Sprintf("%s/list/%d", srv.URL, i))
		}()
	}
	wg.Wait()
	if p, n := srv.peak.Load(), srv.total.Load(); p > 3 || n != 40 {
		t.Fatalf("peak %d concurrent fetches (cap 3), %d in all (want 40)", p, n)
	}
}

// TestIdenticalFetchesAreShared: 200 concurrent lookups of one list on a
// slow server make one request.
func TestIdenticalFetchesAreShared(t *testing.T) {
	srv := newSlowServer(t, 100*time.Millisecond)
	f := slowFetcher(t, 0)
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = f.Bitstring(context.Background(), srv.URL+"/list/1")
		}()
	}
	wg.Wait()
	if n := srv.total.Load(); n != 1 {
		t.Fatalf("%d requests for one list, want 1", n)
	}
}
