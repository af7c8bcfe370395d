package did

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// WebDID returns the did:web for a host (optionally "host:port") and
// optional path segments: WebDID("example.com:8443", "issuers", "sg")
// is did:web:example.com%3A8443:issuers:sg. Segments are percent-encoded.
// The result is not validated; WebURL does that.
func WebDID(host string, path ...string) string {
	var b strings.Builder
	b.WriteString("did:web:")
	b.WriteString(strings.ReplaceAll(strings.ToLower(host), ":", "%3A"))
	for _, p := range path {
		b.WriteByte(':')
		b.WriteString(encodeSegment(p))
	}
	return b.String()
}

func encodeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isIDChar(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// WebURL returns the https URL of the DID document of a did:web:
// https://host[:port]/.well-known/did.json without path segments, and
// https://host[:port]/seg1/.../did.json with them. The host must be a DNS
// name or an IPv4 address with an optional port given as %3A; segments must
// not be empty, "." or "..", and must not decode to '/', '\', '?', '#', '%'
// or control characters.
func WebURL(did string) (string, error) {
	d, err := Parse(did)
	if err != nil {
		return "", err
	}
	if d.Method != MethodWeb {
		return "", fmt.Errorf("%w: %q is not a did:web", ErrUnsupportedMethod, truncate(did))
	}
	return webURL(d, "https")
}

func webURL(d DID, scheme string) (string, error) {
	parts := strings.Split(d.ID, ":")
	host, err := webHost(parts[0])
	if err != nil {
		return "", invalid(d.String(), "%v", err)
	}
	var path strings.Builder
	for _, seg := range parts[1:] {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return "", invalid(d.String(), "path segment %q: %v", seg, err)
		}
		if dec == "" || dec == "." || dec == ".." {
			return "", invalid(d.String(), "path segment %q is empty or a dot segment", seg)
		}
		for i := 0; i < len(dec); i++ {
			c := dec[i]
			if c < 0x20 || c == 0x7f || strings.IndexByte(`/\?#%`, c) >= 0 {
				return "", invalid(d.String(), "path segment %q decodes to character %q", seg, c)
			}
		}
		path.WriteByte('/')
		path.WriteString(url.PathEscape(dec))
	}
	if path.Len() == 0 {
		return scheme + "://" + host + "/.well-known/did.json", nil
	}
	return scheme + "://" + host + path.String() + "/did.json", nil
}

// webHost decodes and checks the host part of a did:web.
func webHost(enc string) (string, error) {
	h := enc
	port := ""
	if i := strings.Index(strings.ToLower(enc), "%3a"); i >= 0 {
		h, port = enc[:i], enc[i+3:]
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 || port[0] == '0' {
			return "", fmt.Errorf("bad port %q", port)
		}
	}
	if strings.Contains(h, "%") {
		return "", fmt.Errorf("host %q has percent-encoding other than the port separator", enc)
	}
	h = strings.ToLower(h)
	if _, err := netip.ParseAddr(h); err != nil && !isDNSName(h) {
		return "", fmt.Errorf("host %q is not a DNS name or IPv4 address", h)
	}
	if port != "" {
		return h + ":" + port, nil
	}
	return h, nil
}

// isDNSName reports whether s is a syntactically valid DNS host name.
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
