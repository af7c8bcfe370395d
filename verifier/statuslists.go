package verifier

import (
	"context"
	"crypto"
	"fmt"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/pkg/vcld"
)

// StatusLists adapts pkg/statuslist's Fetcher (fetch over the SSRF-guarded
// client, signature check, decoded lists cached for a bounded time) to
// StatusFetcher. A list whose issuer (statuslist.Meta.Issuer: the list
// credential's issuer, or the token's iss) is not the credential's issuer
// (StatusRef.Issuer) is refused with ErrStatusListIssuer; a stale copy
// (statuslist.Meta.Stale) is reported as StatusValue.Stale.
//
// Build the Fetcher with VerifyDataIntegrity set to
// DataIntegrityListVerifier so that Bitstring status list credentials
// secured with Data Integrity proofs are accepted too.
func StatusLists(f *statuslist.Fetcher) StatusFetcher { return statusLists{f: f} }

type statusLists struct{ f *statuslist.Fetcher }

// Lookup implements StatusFetcher.
func (s statusLists) Lookup(ctx context.Context, ref StatusRef) (StatusValue, error) {
	var (
		v   StatusValue
		m   statuslist.Meta
		err error
	)
	switch ref.Kind {
	case BitstringStatus:
		var set bool
		set, m, err = s.f.BitstringStatus(ctx, ref.URL, ref.Purpose, ref.Index)
		if err != nil {
			return StatusValue{}, fmt.Errorf("bitstring status list: %w", err)
		}
		if set {
			v.Value = 1
		}
	case TokenStatus:
		v.Value, m, err = s.f.TokenStatus(ctx, ref.URL, ref.Index)
		if err != nil {
			return StatusValue{}, fmt.Errorf("token status list: %w", err)
		}
	default:
		return StatusValue{}, fmt.Errorf("unknown status list kind %d", ref.Kind)
	}
	if err := sameIssuer(ref, m); err != nil {
		return StatusValue{}, err
	}
	v.Age, v.Stale = m.Age, m.Stale
	return v, nil
}

// sameIssuer checks that the list read is issued by the credential issuer.
func sameIssuer(ref StatusRef, m statuslist.Meta) error {
	switch {
	case ref.Issuer == "":
		return fmt.Errorf("%w: the credential issuer is not known, list %s is issued by %q", ErrStatusListIssuer, ref.URL, truncate(m.Issuer))
	case m.Issuer != ref.Issuer:
		return fmt.Errorf("%w: list %s is issued by %q, the credential by %q", ErrStatusListIssuer, ref.URL, truncate(m.Issuer), truncate(ref.Issuer))
	}
	return nil
}

// DataIntegrityListVerifier returns a statuslist.FetcherOptions
// VerifyDataIntegrity hook: it verifies the Data Integrity proof
// (eddsa-rdfc-2022 or Ed25519Signature2020, pkg/vcld, pinned contexts, safe
// mode) of a status list credential served as JSON-LD, as W3C test suites
// and @digitalbazaar issuers publish them. The proof's verification method
// must be a key of the list credential's issuer listed under
// assertionMethod in its DID document, resolved through r (nil: a local
// resolver for did:key and did:jwk only). The Fetcher then reads the list
// and StatusLists checks that its issuer is the credential's.
func DataIntegrityListVerifier(r did.Resolver) func(ctx context.Context, credential []byte) error {
	if r == nil {
		r = did.NewResolver(did.ResolverOptions{})
	}
	keys := func(ctx context.Context, vm string) (crypto.PublicKey, error) {
		pub, _, err := did.ResolveKeyFor(ctx, r, vm, did.AssertionMethod)
		return pub, err
	}
	return func(ctx context.Context, credential []byte) error {
		if _, err := vcld.VerifyCredential(ctx, credential, keys); err != nil {
			return fmt.Errorf("status list credential: %w", err)
		}
		return nil
	}
}
