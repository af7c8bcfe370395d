// Package did parses Decentralized Identifiers and DID URLs, builds and reads
// DID documents, and resolves the did:key, did:jwk and did:web methods.
//
// did:key and did:jwk resolve locally. did:web resolves over HTTPS through a
// CachingResolver: an LRU + TTL cache with one fetch per DID at a time, a
// timeout, a response size limit and an SSRF guard that refuses, at dial
// time, loopback, private, link-local, unspecified and multicast addresses
// unless configuration allows them. SafeHTTPClient exposes the same guard for
// other fetchers (status lists).
//
// ResolveKey turns a key id (a DID URL with a fragment, as found in a JWT
// kid or a Data Integrity verificationMethod) into a public key and its
// algorithm, checking that the key belongs to the DID's own document.
package did

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps one of them.
var (
	// ErrInvalidDID: the string is not a syntactically valid DID or DID URL,
	// or it breaks a method's rules (a did:web path trick, a bad did:key).
	ErrInvalidDID = errors.New("did: invalid DID")
	// ErrUnsupportedMethod: the DID method is not one this package resolves.
	ErrUnsupportedMethod = errors.New("did: unsupported DID method")
	// ErrNotFound: the DID document does not exist (did:web answered 404/410).
	ErrNotFound = errors.New("did: DID document not found")
	// ErrInvalidDocument: the DID document is malformed, too large, or its
	// id is not the DID that was resolved.
	ErrInvalidDocument = errors.New("did: invalid DID document")
	// ErrResolution: the DID document could not be fetched (network error,
	// timeout, unexpected HTTP status).
	ErrResolution = errors.New("did: resolution failed")
	// ErrForbiddenAddress: the SSRF guard refused to connect to the address
	// a host resolved to (loopback, private, link-local, ...).
	ErrForbiddenAddress = errors.New("did: forbidden network address")
	// ErrKeyNotFound: the key id has no fragment, or the DID document has no
	// verification method with that id (for the requested purpose).
	ErrKeyNotFound = errors.New("did: key not found")
	// ErrUnsupportedKey: a verification method carries a key type, curve or
	// encoding this package does not accept (only Ed25519 and P-256 are).
	ErrUnsupportedKey = errors.New("did: unsupported key")
)

// MaxLength bounds the length of a DID or DID URL accepted by Parse and ParseURL.
const MaxLength = 4096

// Method names.
const (
	MethodKey = "key"
	MethodJWK = "jwk"
	MethodWeb = "web"
)

// DID is a parsed Decentralized Identifier: did:<Method>:<ID>.
type DID struct {
	// Method is the method name (lowercase letters and digits).
	Method string
	// ID is the method-specific identifier, still percent-encoded.
	ID string
}

// String returns the DID in its canonical string form.
func (d DID) String() string { return "did:" + d.Method + ":" + d.ID }

// URL is a parsed DID URL. Only a fragment may follow the DID: a path or a
// query is refused, since nothing in this service dereferences them and they
// are the usual vehicle for path tricks in key ids.
type URL struct {
	DID
	// Fragment is the fragment without '#', empty when absent.
	Fragment string
}

// String returns the DID URL in string form.
func (u URL) String() string {
	if u.Fragment == "" {
		return u.DID.String()
	}
	return u.DID.String() + "#" + u.Fragment
}

func invalid(s, format string, args ...any) error {
	return fmt.Errorf("%w: %q: %s", ErrInvalidDID, truncate(s), fmt.Sprintf(format, args...))
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Parse parses a DID (no path, query or fragment) following the DID Core
// ABNF: "did:" method-name ":" method-specific-id, where method-name is
// lowercase letters and digits and method-specific-id is idchars
// (ALPHA / DIGIT / "." / "-" / "_" / pct-encoded) separated by ':' and not
// ending in ':'.
func Parse(s string) (DID, error) {
	if len(s) > MaxLength {
		return DID{}, invalid(s, "longer than %d bytes", MaxLength)
	}
	rest, ok := strings.CutPrefix(s, "did:")
	if !ok {
		return DID{}, invalid(s, "does not start with did:")
	}
	method, id, ok := strings.Cut(rest, ":")
	if !ok {
		return DID{}, invalid(s, "no method-specific id")
	}
	if method == "" {
		return DID{}, invalid(s, "empty method name")
	}
	for i := 0; i < len(method); i++ {
		c := method[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return DID{}, invalid(s, "method name has character %q", c)
		}
	}
	if err := checkMethodSpecificID(id); err != nil {
		return DID{}, invalid(s, "%v", err)
	}
	return DID{Method: method, ID: id}, nil
}

func checkMethodSpecificID(id string) error {
	if id == "" {
		return errors.New("empty method-specific id")
	}
	if id[len(id)-1] == ':' {
		return errors.New("method-specific id ends with ':'")
	}
	return checkChars(id, "method-specific id", &idTable)
}

// Character classes: idchar and ':' for method-specific ids; RFC 3986
// unreserved, sub-delims, ':' and '@' for fragments ('/' and '?' excluded).
var idTable, fragmentTable = func() (id, frag [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		id[c] = isIDChar(b) || b == ':'
		frag[c] = isIDChar(b) || b == '~' || b == ':' || b == '@' || strings.IndexByte("!$&'()*+,;=", b) >= 0
	}
	return id, frag
}()

// checkChars checks that s holds only characters in ok and valid
// percent-encoded octets.
func checkChars(s, what string, ok *[256]bool) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case ok[c]:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return fmt.Errorf("bad percent-encoding in %s", what)
			}
			i += 2
		default:
			return fmt.Errorf("%s has character %q", what, c)
		}
	}
	return nil
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == '_'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// ParseURL parses a DID URL of the form did:method:id[#fragment]. A path, a
// query, an empty fragment, or a fragment with characters outside RFC 3986
// unreserved / sub-delims / ':' / '@' / pct-encoded (in particular '/', '?'
// and '#') is refused.
func ParseURL(s string) (URL, error) {
	if len(s) > MaxLength {
		return URL{}, invalid(s, "longer than %d bytes", MaxLength)
	}
	base, frag, hasFrag := strings.Cut(s, "#")
	if strings.ContainsAny(base, "/?") {
		return URL{}, invalid(s, "DID URL paths and queries are not accepted")
	}
	d, err := Parse(base)
	if err != nil {
		return URL{}, err
	}
	if hasFrag {
		if err := checkFragment(frag); err != nil {
			return URL{}, invalid(s, "%v", err)
		}
	}
	return URL{DID: d, Fragment: frag}, nil
}

func checkFragment(f string) error {
	if f == "" {
		return errors.New("empty fragment")
	}
	return checkChars(f, "fragment", &fragmentTable)
}
