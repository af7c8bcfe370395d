package httpx

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// RateLimit configures per-client token buckets: each client may make Burst requests at once
// and Rate requests per second on average; a request over its budget is answered 429
// rate_limited with Retry-After (whole seconds). A client is its authenticated principal when
// Principal names one, else its address (gin's ClientIP: the peer address unless the engine
// trusts proxies). /healthz, /readyz and /metrics are never limited.
type RateLimit struct {
	// Rate is the sustained requests per second of one client; zero or less turns limiting off.
	Rate float64
	// Burst is the bucket size (default: Rate rounded up, at least 1).
	Burst int
	// Principal, when set, returns the id of the authenticated client of a request (an API key
	// id), or "" for an unauthenticated one. It must not trust unverified claims: an invalid
	// credential falls back to the address.
	Principal func(c *gin.Context) string
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// maxBuckets bounds the limiter's memory: past it, buckets that have refilled are dropped.
const maxBuckets = 100_000

type bucket struct {
	tokens float64
	last   time.Time
}

type limiter struct {
	rate, burst float64
	principal   func(c *gin.Context) string
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[string]*bucket
}

func newLimiter(r RateLimit) *limiter {
	if r.Burst <= 0 {
		r.Burst = int(math.Max(1, math.Ceil(r.Rate)))
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return &limiter{rate: r.Rate, burst: float64(r.Burst), principal: r.Principal, now: r.Now, buckets: map[string]*bucket{}}
}

// take spends one token of key's bucket; when there is none it returns how long until there is.
func (l *limiter) take(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// sweep drops the buckets that are full again (their clients are as if new).
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

func (l *limiter) middleware(quiet map[string]bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if quiet[c.Request.URL.Path] {
			c.Next()
			return
		}
		key := ""
		if l.principal != nil {
			if id := l.principal(c); id != "" {
				key = "key:" + id
			}
		}
		if key == "" {
			key = "addr:" + c.ClientIP()
		}
		ok, wait := l.take(key)
		if ok {
			c.Next()
			return
		}
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		WriteProblem(c, Problem{Status: http.StatusTooManyRequests, Code: CodeRateLimited,
			Detail: "too many requests from this client; retry after the time in Retry-After"})
		c.Abort()
	}
}
