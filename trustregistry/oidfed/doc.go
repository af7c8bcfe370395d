// Package oidfed resolves and verifies OpenID Federation 1.0 trust chains: it fetches a leaf's
// entity configuration (/.well-known/openid-federation) and the subordinate statements up to a
// pinned trust anchor (each superior's federation_fetch_endpoint), checks every statement's
// signature (ES256, EdDSA, RS256), the iss/sub chaining, expiry and authority_hints, applies the
// metadata policy of the chain, and checks trust marks against the anchor's trust_mark_issuers.
//
// Every outbound request goes through the http.Client the caller gives (in idport, pkg/did's
// SSRF-guarded client). A verified Chain carries its expiry (the earliest exp of its statements);
// Cache keeps verified chains and answers fail-closed: an expired chain, or one whose statements
// are no longer served, is gone. The package links neither gin nor etcd: the verifier SDK may
// use it.
package oidfed
