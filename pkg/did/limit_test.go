package did_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
)

// TestWebFetchesPerHostAreCapped: 30 different did:web DIDs on one slow
// host are fetched at most 2 at a time, and 50 concurrent resolutions of
// one DID make one request.
func TestWebFetchesPerHostAreCapped(t *testing.T) {
	var cur, peak, total atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		total.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(30 * time.Millisecond)
		cur.Add(-1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	r := did.NewResolver(did.ResolverOptions{AllowHosts: []string{"127.0.0.1"}, AllowHTTP: true, MaxInFlightPerHost: 2})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = r.Resolve(context.Background(), did.WebDID(host, "u", fmt.Sprint(i)))
		}()
	}
	wg.Wait()
	if p, n := peak.Load(), total.Load(); p > 2 || n != 30 {
		t.Fatalf("peak %d concurrent fetches (cap 2), %d in all (want 30)", p, n)
	}
	total.Store(0)
	one := did.WebDID(host, "same")
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = r.Resolve(context.Background(), one)
		}()
	}
	wg.Wait()
	if n := total.Load(); n != 1 {
		t.Fatalf("%d requests for one DID, want 1", n)
	}
}
