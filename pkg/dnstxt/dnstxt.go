// Package dnstxt looks up DNS TXT records for identity proofs (the
// DNS-DID records of OpenAttestation issuers): a Resolver interface, a
// client over UDP/TCP (the system's name servers by default, or given
// ones), a DNS-over-HTTPS client (RFC 8484), and a Cache that keeps
// answers for their TTL within bounds and single-flights lookups.
//
// Every lookup has a timeout and size limits (records, bytes). Answers
// report the AD bit: true when the resolver says it validated the zone's
// DNSSEC signatures (worth trusting only from a resolver on a trusted
// path, such as a local validating resolver or DNS over HTTPS).
package dnstxt

import (
	"context"
	"errors"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// Answer is the outcome of a TXT lookup.
type Answer struct {
	// Records holds one string per TXT record (its strings joined).
	// Empty when the name has no TXT record (NXDOMAIN or NODATA).
	Records []string
	// TTL is how long the answer may be kept (the smallest record TTL, or
	// the negative-caching TTL of the zone).
	TTL time.Duration
	// Authenticated is the AD bit of the answer: the resolver validated it
	// with DNSSEC.
	Authenticated bool
	// Cached is true when the answer was served from a Cache.
	Cached bool
}

// Resolver looks up the TXT records of a name.
type Resolver interface {
	// LookupTXT answers the TXT records of name. A name without records
	// is an Answer with no Records and a nil error; an error means the
	// lookup could not be made (timeout, server failure, limits).
	LookupTXT(ctx context.Context, name string) (Answer, error)
}

// Codes of lookup failures.
const (
	// CodeUnavailable: the lookup failed or timed out.
	CodeUnavailable errs.Code = "dns_unavailable"
	// CodeTooLarge: the answer is over the size limits.
	CodeTooLarge errs.Code = "dns_answer_too_large"
)

// Sentinel errors; errors.Is matches any error carrying their code.
var (
	ErrUnavailable = errs.New(CodeUnavailable, "DNS lookup failed")
	ErrTooLarge    = errs.New(CodeTooLarge, "DNS answer is over the size limits")
)

// Limits bound a lookup; zero fields take the defaults.
type Limits struct {
	// Timeout bounds one lookup (all servers and retries): 3s.
	Timeout time.Duration
	// MaxRecords bounds the TXT records of an answer: 32.
	MaxRecords int
	// MaxRecordBytes bounds one record (its strings joined): 2048.
	MaxRecordBytes int
	// MaxMessageBytes bounds a DNS message read: 16 KiB.
	MaxMessageBytes int
}

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = 3 * time.Second
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = 32
	}
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = 2048
	}
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = 16 << 10
	}
	return l
}

func unavailable(name string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(CodeUnavailable, "DNS lookup of "+name+" timed out", err)
	}
	return errs.Wrap(CodeUnavailable, "DNS lookup of "+name+" failed", err)
}
