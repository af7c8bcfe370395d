package verifier

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/dnstxt"
	"github.com/idport/idport/pkg/oa"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcld"
)

// Clock returns the current time.
type Clock func() time.Time

// Config configures a Verifier.
type Config struct {
	// TrustSource answers recognition questions. Nil means Unavailable:
	// every credential is then rejected with registry_stale unless the
	// policy makes recognition optional.
	TrustSource TrustSource
	// Resolver resolves issuer and holder DIDs (did:key, did:jwk, did:web).
	// Nil means a local resolver for did:key and did:jwk only.
	Resolver did.Resolver
	// StatusFetcher reads status lists. Nil means DefaultStatusFetcher:
	// lists fetched over HTTPS from public addresses only, signatures
	// checked with Resolver, decoded lists cached for at most 5 minutes.
	StatusFetcher StatusFetcher
	// Policy is the default policy of every verification.
	Policy Policy
	// Clock is the time source; nil means time.Now.
	Clock Clock
	// Logger receives diagnostic logs; nil means slog.Default().
	Logger *slog.Logger
	// ChallengeStore issues and consumes presentation challenges; nil
	// means NewMemoryChallenges (a fresh key; used records in memory).
	ChallengeStore ChallengeStore
	// ChallengeTTL is the lifetime of issued challenges
	// (DefaultChallengeTTL when 0).
	ChallengeTTL time.Duration
	// KeyCacheTTL bounds how long a resolved did:web key is reused
	// (DefaultKeyCacheTTL when 0). did:key and did:jwk keys never change.
	KeyCacheTTL time.Duration
	// DNS answers the TXT lookups of OpenAttestation identity proofs
	// (VerifyDocument). Nil means the system's name servers
	// (/etc/resolv.conf) behind a TTL cache; see pkg/dnstxt for DNS over
	// HTTPS and limits.
	DNS dnstxt.Resolver
	// DocumentLimits bound the OpenAttestation documents VerifyDocument
	// accepts (size, nesting, fields); zero fields take pkg/oa's defaults.
	DocumentLimits oa.Limits
	// Tracer receives a span per credential and presentation verification
	// and one per check; nil means no tracing.
	Tracer Tracer
	// DataIntegrityProofCache, when positive, remembers that many Data
	// Integrity credentials whose proofs verified (least recently used
	// dropped first), keyed by the credential's canonical JSON and the keys
	// its verification methods resolve to, so that a credential presented
	// again skips its canonicalisation and signature checks. Keys are still
	// resolved, and validity times, status, recognition and every proof's
	// purpose, controller and expiry are still checked on every call. Zero
	// means no cache. It only helps credentials that come back.
	DataIntegrityProofCache int
}

// Verifier verifies credentials and presentations. It is safe for
// concurrent use.
type Verifier struct {
	trust      TrustSource
	resolver   did.Resolver
	status     StatusFetcher
	policy     Policy
	now        Clock
	log        *slog.Logger
	challenges ChallengeStore
	challTTL   time.Duration
	keys       *keyCache
	documents  *documentVerifier
	tracer     Tracer
	// ld verifies Data Integrity proofs (vcld.Default, or a processor
	// with a proof cache).
	ld *vcld.Processor
}

// New returns a Verifier for cfg.
func New(cfg Config) (*Verifier, error) {
	v := &Verifier{
		trust:      cfg.TrustSource,
		resolver:   cfg.Resolver,
		status:     cfg.StatusFetcher,
		policy:     cfg.Policy,
		now:        cfg.Clock,
		log:        cfg.Logger,
		challenges: cfg.ChallengeStore,
		challTTL:   cfg.ChallengeTTL,
		tracer:     cfg.Tracer,
	}
	if v.trust == nil {
		v.trust = Unavailable("no trust source configured")
	}
	if v.resolver == nil {
		v.resolver = did.NewResolver(did.ResolverOptions{})
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.Default()
	}
	if v.status == nil {
		f, err := DefaultStatusFetcher(v.resolver, v.log)
		if err != nil {
			return nil, err
		}
		v.status = f
	}
	if v.challenges == nil {
		v.challenges = NewMemoryChallenges()
	}
	if cfg.Policy.MinAssurance != "" && cfg.Policy.assuranceRank(cfg.Policy.MinAssurance) < 0 {
		return nil, fmt.Errorf("%w: minimum assurance %q is not one of the assurance levels %v (set AssuranceLevels to the local scheme's levels, low to high)",
			ErrConfig, cfg.Policy.MinAssurance, cfg.Policy.assuranceLevels())
	}
	ttl := cfg.KeyCacheTTL
	if ttl <= 0 {
		ttl = DefaultKeyCacheTTL
	}
	v.keys = newKeyCache(v.resolver, ttl)
	v.documents = &documentVerifier{dns: cfg.DNS, limits: cfg.DocumentLimits}
	v.ld = vcld.Default()
	if cfg.DataIntegrityProofCache > 0 {
		ld, err := vcld.New(vcld.Options{ProofCacheSize: cfg.DataIntegrityProofCache})
		if err != nil {
			return nil, fmt.Errorf("verifier: Data Integrity processor: %w", err)
		}
		v.ld = ld
	}
	return v, nil
}

// Policy returns the verifier's default policy.
func (v *Verifier) Policy() Policy { return v.policy }

// TrustStatus reports the state of the trust source.
func (v *Verifier) TrustStatus() TrustStatus { return v.trust.Status() }

// Ready returns nil when the trust source is ready and fresh, an error
// saying why not otherwise (for /readyz).
func (v *Verifier) Ready() error {
	st := v.trust.Status()
	switch {
	case !st.Ready:
		return fmt.Errorf("trust registry not ready: %s", st.Reason)
	case st.Stale:
		return fmt.Errorf("trust registry state is stale (version %d, last update %s): %s", st.Version, st.LastUpdate.Format(time.RFC3339), st.Reason)
	}
	return nil
}

// Challenges returns the verifier's challenge store.
func (v *Verifier) Challenges() ChallengeStore { return v.challenges }

// IssueChallenge returns a single-use presentation challenge and its
// expiry. It writes nothing: the challenge authenticates itself (see
// ChallengeKey) and is recorded only when a presentation consumes it.
func (v *Verifier) IssueChallenge(ctx context.Context) (string, time.Time, error) {
	return IssueChallenge(ctx, v.challenges, v.now(), v.challTTL)
}

// IssueChallengeFor is IssueChallenge for audience: the challenge is
// accepted only by a presentation verified with that ChallengeAudience
// (PresentationOptions), so that a presentation made for one relying party
// cannot be relayed to another. The challenge store must be an
// AudienceChallengeStore (ErrConfig otherwise); an empty audience is
// IssueChallenge.
func (v *Verifier) IssueChallengeFor(ctx context.Context, audience string) (string, time.Time, error) {
	if audience == "" {
		return v.IssueChallenge(ctx)
	}
	s, ok := v.challenges.(AudienceChallengeStore)
	if !ok {
		return "", time.Time{}, fmt.Errorf("%w: the challenge store does not bind challenges to an audience", ErrConfig)
	}
	c, exp, err := s.IssueFor(ctx, audience, v.now(), v.challTTL)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("verifier: issue challenge: %w", err)
	}
	return c, exp, nil
}

// CredentialOptions are per-request options of VerifyCredentialWith.
type CredentialOptions struct {
	// Policy replaces the verifier's policy for this request when set.
	Policy *Policy
}

// VerifyCredential verifies one credential in any supported format: a
// compact JWS or SD-JWT (as bytes or as a JSON string), an
// EnvelopedVerifiableCredential object, or a JSON-LD credential with a Data
// Integrity proof. A credential that fails a check yields a Result with
// Verified false and nil error; an error means the verification could not
// be carried out (ctx done).
func (v *Verifier) VerifyCredential(ctx context.Context, raw []byte) (*Result, error) {
	return v.verifyCredential(ctx, raw, &v.policy)
}

// VerifyCredentialWith is VerifyCredential with per-request options.
func (v *Verifier) VerifyCredentialWith(ctx context.Context, raw []byte, o CredentialOptions) (*Result, error) {
	p := &v.policy
	if o.Policy != nil {
		p = o.Policy
	}
	return v.verifyCredential(ctx, raw, p)
}

func (v *Verifier) verifyCredential(ctx context.Context, raw []byte, p *Policy) (*Result, error) {
	return v.verifyCredentialPre(ctx, raw, p, nil)
}

// verifyCredentialPre is verifyCredential for a credential of a Data
// Integrity presentation whose proofs were verified with it (pre, when not
// nil).
func (v *Verifier) verifyCredentialPre(ctx context.Context, raw []byte, p *Policy, pre *preverified) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	r := newResult()
	ctx, endVerification := v.traceVerification(ctx, SpanCredential)
	defer func() { endVerification(r) }()
	_, end := v.traceCheck(ctx, r, CheckFormat)
	c, code, err := parseCredential(raw)
	if err != nil {
		r.fail(CheckFormat, code, err.Error())
		end()
		return r, nil
	}
	r.Format = c.format
	r.pass(CheckFormat)
	end()
	if c.format == vc.FormatDI {
		c.pre = pre
	}
	now := v.now()
	v.checkCredential(ctx, c, r, p, now)
	if c.format == vc.FormatSDJWT && c.jose.SD != nil && c.jose.SD.KBJWT != "" && r.Verified {
		// A key binding JWT sent along is checked, never ignored (an
		// unsigned one, alg none, included); its challenge is not this
		// call's business.
		_, end := v.traceCheck(ctx, r, CheckHolder)
		if _, _, code, err := v.checkKeyBinding(c, "", p, now); err != nil {
			r.fail(CheckHolder, code, err.Error())
		} else {
			r.pass(CheckHolder)
		}
		end()
	}
	v.debug(ctx, "credential", r)
	return r, nil
}

// debug logs the outcome of a verification at debug level (codes and
// registry facts only: no claims, no subject).
func (v *Verifier) debug(ctx context.Context, kind string, r *Result) {
	if !v.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	v.log.LogAttrs(ctx, slog.LevelDebug, "verification", slog.String("kind", kind), slog.String("format", string(r.Format)),
		slog.Bool("verified", r.Verified), slog.String("first_error", string(r.FirstError())), slog.String("issuer", r.Issuer))
}

func newResult() *Result {
	r := &Result{Verified: true, Errors: []Problem{}, Warnings: []Problem{}}
	r.Checks = r.checkBuf[:0]
	return r
}

func (v *Verifier) checkValidity(c *credential, r *Result, p *Policy, now time.Time) {
	skew := p.skew()
	switch {
	case !c.validUntil.IsZero() && now.After(c.validUntil.Add(skew)):
		r.fail(CheckValidity, CodeExpired, "credential expired at "+c.validUntil.UTC().Format(time.RFC3339))
	case !c.validFrom.IsZero() && now.Add(skew).Before(c.validFrom):
		r.fail(CheckValidity, CodeNotYetValid, "credential is not valid before "+c.validFrom.UTC().Format(time.RFC3339))
	case c.validFrom.IsZero() && !c.issuedAt.IsZero() && now.Add(skew).Before(c.issuedAt):
		r.fail(CheckValidity, CodeNotYetValid, "credential is issued in the future, at "+c.issuedAt.UTC().Format(time.RFC3339))
	default:
		r.pass(CheckValidity)
	}
}

// issuance returns the best known issuance time of c.
func (c *credential) issuance() time.Time {
	switch {
	case !c.issuedAt.IsZero():
		return c.issuedAt
	case !c.validFrom.IsZero():
		return c.validFrom
	}
	return time.Time{}
}

func (v *Verifier) checkAssurance(d TrustDecision, r *Result, p *Policy) {
	if p.MinAssurance == "" {
		return
	}
	need := p.assuranceRank(p.MinAssurance)
	have := p.assuranceRank(d.LocalAssurance)
	switch {
	case need < 0:
		// A request policy named a level outside the list: fail closed.
		r.fail(CheckAssurance, CodeAssuranceTooLow, fmt.Sprintf("required assurance %q is not one of the assurance levels %v", p.MinAssurance, p.assuranceLevels()))
		return
	case have < 0:
		msg := fmt.Sprintf("local assurance %q is not one of the assurance levels %v and cannot be compared with the required %q", d.LocalAssurance, p.assuranceLevels(), p.MinAssurance)
		if d.LocalAssurance == "" {
			msg = fmt.Sprintf("the recognition names no local assurance level; %q is required", p.MinAssurance)
		}
		r.fail(CheckAssurance, CodeAssuranceTooLow, msg)
		return
	case have < need:
		r.fail(CheckAssurance, CodeAssuranceTooLow, fmt.Sprintf("local assurance %q is below the required %q (levels %v)", d.LocalAssurance, p.MinAssurance, p.assuranceLevels()))
		return
	}
	r.pass(CheckAssurance)
}

// checkPolicy applies the accepted lists and required claims.
func (v *Verifier) checkPolicy(c *credential, d TrustDecision, r *Result, p *Policy, recognised bool) {
	if len(p.Jurisdictions) == 0 && len(p.Schemes) == 0 && len(p.CredentialTypes) == 0 && len(p.RequiredClaims) == 0 {
		return
	}
	ok := true
	if recognised && len(p.Jurisdictions) > 0 && !slices.Contains(p.Jurisdictions, d.Jurisdiction) {
		r.fail(CheckPolicy, CodeJurisdictionNotAccepted, "issuer jurisdiction "+d.Jurisdiction+" is not accepted by policy")
		ok = false
	}
	if recognised && len(p.Schemes) > 0 && !slices.Contains(p.Schemes, d.Scheme) {
		r.fail(CheckPolicy, CodeSchemeNotAccepted, "scheme "+d.Scheme+" is not accepted by policy")
		ok = false
	}
	if len(p.CredentialTypes) > 0 && !slices.ContainsFunc(c.types, func(t string) bool { return slices.Contains(p.CredentialTypes, t) }) {
		r.fail(CheckPolicy, CodeCredentialTypeNotAccepted, fmt.Sprintf("credential types %v are not accepted by policy", c.types))
		ok = false
	}
	for _, name := range p.RequiredClaims {
		if _, has := r.Claims[name]; !has {
			r.fail(CheckPolicy, CodeRequiredClaimMissing, "required claim "+name+" is missing")
			ok = false
		}
	}
	if ok {
		r.pass(CheckPolicy)
	}
}

// keyBelongsTo reports whether kid is a key id of issuer: issuer + "#" + fragment.
// Paths, queries and other DIDs are refused (kid path tricks).
func keyBelongsTo(kid, issuer string) bool {
	return len(kid) > len(issuer)+1 && kid[:len(issuer)] == issuer && kid[len(issuer)] == '#'
}

// DefaultStatusFetcher returns the StatusFetcher New uses when Config leaves it nil: a
// statuslist.Fetcher over the SSRF-guarded client (HTTPS, public addresses only), checking list
// signatures through r (JOSE lists, and Data Integrity lists with DataIntegrityListVerifier),
// with decoded lists cached for a bounded time. Deployments that must reach private hosts
// build their own statuslist.Fetcher with explicit did.NetOptions and pass it through
// StatusLists.
func DefaultStatusFetcher(r did.Resolver, logger *slog.Logger) (StatusFetcher, error) {
	f, err := statuslist.NewFetcher(statuslist.FetcherOptions{Resolver: r, Logger: logger,
		VerifyDataIntegrity: DataIntegrityListVerifier(r)})
	if err != nil {
		return nil, fmt.Errorf("%w: default status fetcher: %w", ErrConfig, err)
	}
	return StatusLists(f), nil
}
