package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
)

const accountKey = "idport.registry.account"

// abandonedAfter is when a reserved idempotency key whose request never answered is taken over.
const abandonedAfter = time.Minute

func contextWithTimeout(c *gin.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), d)
}

// authenticate resolves the account from a verified mTLS client certificate or a bearer token,
// and answers 401 to a failed attempt, or 429 once failures from its address or against its
// token id are over the budget.
func (a *api) authenticate(c *gin.Context) {
	var acct trustregistry.Account
	var err error
	tokenID := ""
	if tls := c.Request.TLS; tls != nil && len(tls.VerifiedChains) > 0 && len(tls.PeerCertificates) > 0 {
		acct, err = a.svc.AccountForCert(c, tls.PeerCertificates[0])
	} else if tok := httpx.BearerToken(c); tok != "" {
		tokenID, _ = trustregistry.TokenID(tok)
		acct, err = a.svc.Authenticate(c, tok)
	} else {
		err = errs.Errorf(trustregistry.CodeUnauthorized, "no bearer token or client certificate: %w", trustregistry.ErrUnauthenticated)
	}
	if err != nil {
		if errors.Is(err, trustregistry.ErrUnauthenticated) {
			keys := []string{"addr " + c.ClientIP()}
			if tokenID != "" {
				keys = append(keys, "token "+tokenID)
			}
			if left, over := a.limiter.Fail(keys...); over {
				c.Header("Retry-After", strconv.Itoa(int(math.Ceil(left.Seconds()))))
				statuses.Write(c, errs.Errorf(trustregistry.CodeRateLimited, "too many failed authentications from this address or for this token id; retry later"))
				return
			}
		}
		statuses.Write(c, err)
		return
	}
	c.Set(accountKey, acct)
	c.Next()
}

func account(c *gin.Context) trustregistry.Account {
	v, _ := c.Get(accountKey)
	a, _ := v.(trustregistry.Account)
	return a
}

// recorder keeps a copy of what a handler writes.
type recorder struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

// Write implements io.Writer, keeping a copy.
func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

// WriteString implements io.StringWriter, keeping a copy.
func (r *recorder) WriteString(s string) (int, error) {
	r.buf.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}

// idempotency replays the stored answer of a POST carrying an Idempotency-Key the same account
// sent before with the same body, and refuses the key with another body (422).
func (a *api) idempotency(c *gin.Context) {
	key := c.GetHeader(HeaderIdempotencyKey)
	if c.Request.Method != http.MethodPost || key == "" {
		c.Next()
		return
	}
	if len(key) > 255 {
		statuses.Write(c, badParam("Idempotency-Key longer than 255 characters"))
		return
	}
	body, err := httpx.ReadBody(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	acct := account(c)
	sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.Request.URL.Path+"\n"), body...))
	reqHash := hex.EncodeToString(sum[:])
	storeKey := acct.Name + "\x00" + key
	now := time.Now().UTC()
	reservation := trustregistry.IdempotencyRecord{Key: storeKey, Account: acct.Name, RequestHash: reqHash, CreatedAt: now}
	for attempt := 0; ; attempt++ {
		err := a.svc.PutIdempotency(c, reservation)
		if err == nil {
			break
		}
		if !errors.Is(err, trustregistry.ErrExists) || attempt > 0 {
			statuses.Write(c, err)
			return
		}
		prev, err := a.svc.GetIdempotency(c, storeKey)
		if errors.Is(err, trustregistry.ErrNotFound) {
			continue // finished and purged meanwhile: reserve again
		}
		if err != nil {
			statuses.Write(c, err)
			return
		}
		if prev.RequestHash != reqHash {
			statuses.Write(c, errs.Errorf(trustregistry.CodeIdempotencyReused, "Idempotency-Key %q was used for a different request", key))
			return
		}
		if prev.Status == 0 {
			if now.Sub(prev.CreatedAt) < abandonedAfter {
				statuses.Write(c, errs.Errorf(trustregistry.CodeIdempotencyInProgress, "a request with Idempotency-Key %q is still in progress; retry later", key))
				return
			}
			// The first attempt died without an answer: take the key over.
			if err := a.svc.DeleteIdempotency(c, storeKey); err != nil {
				statuses.Write(c, err)
				return
			}
			continue
		}
		c.Header("Idempotent-Replayed", "true")
		c.Data(prev.Status, "application/json; charset=utf-8", prev.Body)
		c.Abort()
		return
	}
	rec := &recorder{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	// Remember answers that a retry should see again; free the key for retries otherwise.
	if st := rec.Status(); st < 500 && st != http.StatusTooManyRequests && st != http.StatusUnauthorized {
		reservation.Status, reservation.Body = st, rec.buf.Bytes()
		if err := a.svc.FinishIdempotency(c, reservation); err != nil {
			httpx.LoggerFrom(c).Error("storing idempotency answer", "err", err)
		}
	} else if err := a.svc.DeleteIdempotency(c, storeKey); err != nil {
		httpx.LoggerFrom(c).Error("releasing idempotency key", "err", err)
	}
}
