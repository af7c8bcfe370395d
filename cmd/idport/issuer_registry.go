package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/idport/idport/internal/crossborder"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/otelx"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/trustregistry/issuerauth"
	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

// issuerRegistryFlags are the issuer's trust registry flags: the registry check before signing
// and cross-border onboarding.
type issuerRegistryFlags struct {
	registryKey, check, authScheme       string
	onboardingType, onboardingFormat     string
	localScheme, assuranceLevels, minLvl string
	allowHosts                           string
	allowHTTP                            bool
}

func (f *issuerRegistryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.registryKey, "registry-key", "", "file with the pinned registry public key (JWK); needed with --registry")
	fs.StringVar(&f.check, "registry-check", "", "before signing, ask the registry whether this issuer is recognised for every type: enforce (refuse with 403 issuer_not_authorised; the default with --registry outside --dev), warn (issue with a warning) or off (the default in --dev)")
	fs.StringVar(&f.authScheme, "registry-scheme", "", "scheme whose recognition the registry check asks for (default: the issuer's own scheme, as registered)")
	fs.StringVar(&f.onboardingType, "onboarding-type", "", "credential type issued by POST /onboarding from a recognised foreign credential (e.g. LingangBusinessRegistration; needs --registry and --local-scheme; empty: onboarding disabled)")
	fs.StringVar(&f.onboardingFormat, "onboarding-format", "vc+jwt", "format of onboarding credentials: vc+jwt, jwt_vc_json or ldp_vc")
	fs.StringVar(&f.localScheme, "local-scheme", "", "the scheme that recognises foreign credentials presented for onboarding")
	fs.StringVar(&f.assuranceLevels, "assurance-levels", "", "local scheme assurance levels from low to high (onboarding verification)")
	fs.StringVar(&f.minLvl, "min-assurance", "", "lowest local assurance level accepted for onboarding")
	fs.StringVar(&f.allowHosts, "allow-hosts", "", "comma-separated hosts that did:web and status-list fetches may reach although loopback/private (onboarding verification)")
	fs.BoolVar(&f.allowHTTP, "allow-http", false, "let onboarding verification fetch did:web documents and status lists over plain http:// (tests and the demo only)")
}

// wire gives cfg its registry check and onboarding from the flags. It returns the loop that
// keeps the registry replica in sync (nil without a registry). tp traces the registry fetches
// and the onboarding verifications (nil: no tracing).
func (f *issuerRegistryFlags) wire(registry, data string, dev bool, cfg *issuer.Config, logger *slog.Logger, tp *otelx.Provider) (func(context.Context) error, error) {
	if registry == "" {
		if f.check != "" && f.check != string(issuer.CheckOff) {
			return nil, fmt.Errorf("--registry-check %s needs --registry and --registry-key", f.check)
		}
		if f.onboardingType != "" {
			return nil, errors.New("--onboarding-type needs --registry and --registry-key")
		}
		if !dev {
			logger.Warn("the issuer follows no trust registry: it signs every configured type without asking (give --registry and --registry-key)")
		}
		return nil, nil
	}
	if f.registryKey == "" {
		return nil, errors.New("--registry needs --registry-key (the pinned registry public key)")
	}
	mode := issuer.RegistryCheck(f.check)
	if mode == "" && dev {
		mode = issuer.CheckOff
	}
	if mode != "" {
		m, err := issuer.ParseRegistryCheck(string(mode))
		if err != nil {
			return nil, fmt.Errorf("--registry-check: %w", err)
		}
		mode = m
	}
	key, err := trustsource.ReadKeyFile(f.registryKey)
	if err != nil {
		return nil, err
	}
	src, run, err := trustsource.Sync(trustsource.SyncConfig{URL: registry, PinnedKey: key,
		CacheFile: filepath.Join(data, registryCacheFile), Logger: logger, WrapTransport: tp.Transport(otelx.SpanRegistry)})
	if err != nil {
		return nil, err
	}
	cfg.RegistryCheck = mode
	if mode != issuer.CheckOff {
		cfg.Authoriser = issuerauth.New(src.Replica(), f.authScheme)
	}
	if f.onboardingType != "" {
		if cfg.Onboarding, err = f.onboarding(src, logger, tp); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// onboarding builds the verifier engine behind POST /onboarding.
func (f *issuerRegistryFlags) onboarding(src *trustsource.Source, logger *slog.Logger, tp *otelx.Provider) (*issuer.OnboardingConfig, error) {
	if f.localScheme == "" {
		return nil, errors.New("--onboarding-type needs --local-scheme (the scheme that recognises the foreign credentials)")
	}
	hosts := splitList(f.allowHosts)
	resolver := did.NewResolver(did.ResolverOptions{AllowHosts: hosts, AllowHTTP: f.allowHTTP, Logger: logger,
		WrapTransport: tp.Transport(otelx.SpanDIDWeb)})
	sf, err := statuslist.NewFetcher(statuslist.FetcherOptions{Net: did.NetOptions{AllowHosts: hosts, AllowHTTP: f.allowHTTP,
		WrapTransport: tp.Transport(otelx.SpanStatusList)},
		Resolver: resolver, Logger: logger, VerifyDataIntegrity: verifier.DataIntegrityListVerifier(resolver)})
	if err != nil {
		return nil, fmt.Errorf("onboarding status lists: %w", err)
	}
	pol := verifier.Policy{LocalScheme: f.localScheme, MinAssurance: f.minLvl, AssuranceLevels: splitList(f.assuranceLevels),
		StatusFailMode: verifier.StatusFailClosed, CrossBorder: verifier.ClaimsRefuse}
	v, err := verifier.New(verifier.Config{TrustSource: src, Resolver: resolver, StatusFetcher: verifier.StatusLists(sf), Policy: pol, Logger: logger,
		Tracer: tp.Checks()})
	if err != nil {
		return nil, fmt.Errorf("onboarding verifier: %w", err)
	}
	return &issuer.OnboardingConfig{Type: f.onboardingType, Format: f.onboardingFormat,
		Verifier: &crossborder.Verifier{Verifier: v, Trust: src, LocalScheme: f.localScheme}}, nil
}
