package issuer

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// Tenants. One issuer process can serve several issuing authorities (tenants), each an Issuer
// of its own over its own part of one Store: its own did:web under the base URL
// (did:web:<host>:tenants:<name>, DID document at <base URL>/tenants/<name>/did.json), its
// own sealed signing keys and rotation, credential types, status lists
// (<base URL>/tenants/<name>/status/...) and API keys. The default issuer (Config.Tenant "")
// is the one that existed before tenants, unchanged.
//
// Isolation is enforced here, not by the HTTP layer: an Issuer opened for a tenant reads and
// writes only through the Store its TenantStore returns for that tenant (every lookup is
// scoped to it), stamps the tenant on every record it writes, treats a record of another
// tenant as absent, and refuses clients whose API key belongs to another tenant.

// TenantPathPrefix is the path segment under the base URL that tenants live in.
const TenantPathPrefix = "/tenants/"

// tenantNameRE is the syntax of a tenant name: a DNS-label-like name that is safe in a URL
// path, a did:web segment and a metrics label.
var tenantNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// TenantRecord is a tenant as stored.
type TenantRecord struct {
	// Name is the tenant's name: lower-case letters, digits and dashes (at most 63); it
	// appears in the tenant's URLs, its DID and its metrics.
	Name string `json:"name"`
	// DisplayName is a label for operators.
	DisplayName string `json:"displayName,omitempty"`
	// Types are the names of the configured credential types the tenant issues; empty means
	// every configured type.
	Types []string `json:"types,omitempty"`
	// Created is the creation time.
	Created time.Time `json:"created"`
	// Disabled is when an operator disabled the tenant; nil while it is active.
	Disabled *time.Time `json:"disabled,omitempty"`
}

// TenantStore is the optional interface of a Store that holds tenants (issuer/boltstore and
// the in-memory test store implement it). Config.Tenant needs it.
type TenantStore interface {
	// Tenant returns the Store of one tenant: a view in which every record written and read
	// lives in that tenant's own space, apart from the default issuer's and every other
	// tenant's (same credential ids, key ids and status indexes in two tenants never meet).
	// Closing the view does not close the Store.
	Tenant(ctx context.Context, name string) (Store, error)
	// PutTenant stores or replaces a tenant record.
	PutTenant(ctx context.Context, t TenantRecord) error
	// Tenants returns every tenant record.
	Tenants(ctx context.Context) ([]TenantRecord, error)
}

// CheckTenantName validates a tenant name.
func CheckTenantName(name string) error {
	if !tenantNameRE.MatchString(name) {
		return errs.Errorf(CodeInvalidRequest, "invalid request: tenant name %q (want 1 to 63 lower-case letters, digits and dashes, not starting or ending with a dash)", name)
	}
	return nil
}

func tenantStore(s Store) (TenantStore, error) {
	ts, ok := s.(TenantStore)
	if !ok || s == nil {
		return nil, errs.Errorf(CodeConfig, "invalid configuration: this issuer's store holds no tenants")
	}
	return ts, nil
}

// ListTenants returns the tenants of store, by name.
func ListTenants(ctx context.Context, store Store) ([]TenantRecord, error) {
	ts, err := tenantStore(store)
	if err != nil {
		return nil, err
	}
	out, err := ts.Tenants(ctx)
	if err != nil {
		return nil, errs.Wrap(CodeStore, "store failed: listing tenants", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LookupTenant returns the record of a tenant, or ErrTenantNotFound.
func LookupTenant(ctx context.Context, store Store, name string) (TenantRecord, error) {
	all, err := ListTenants(ctx, store)
	if err != nil {
		return TenantRecord{}, err
	}
	for _, t := range all {
		if t.Name == name {
			return t, nil
		}
	}
	return TenantRecord{}, errs.Errorf(CodeTenantNotFound, "tenant not found: %q", name)
}

// CreateTenant stores a new tenant (its keys are generated when an Issuer first opens it).
// types names configured credential types; nil means all of them. It fails with
// ErrTenantExists when the name is taken.
func CreateTenant(ctx context.Context, store Store, rec TenantRecord, now time.Time) (TenantRecord, error) {
	if err := CheckTenantName(rec.Name); err != nil {
		return TenantRecord{}, err
	}
	ts, err := tenantStore(store)
	if err != nil {
		return TenantRecord{}, err
	}
	if _, err := LookupTenant(ctx, store, rec.Name); err == nil {
		return TenantRecord{}, errs.Errorf(CodeTenantExists, "tenant exists already: %q", rec.Name)
	} else if Code(err) != CodeTenantNotFound {
		return TenantRecord{}, err
	}
	rec.Created, rec.Disabled = now.UTC(), nil
	rec.Types = slices.Clone(rec.Types)
	if err := ts.PutTenant(ctx, rec); err != nil {
		return TenantRecord{}, errs.Wrap(CodeStore, "store failed: storing tenant", err)
	}
	return rec, nil
}

// DisableTenant marks a tenant disabled: its Issuer then refuses to issue or change statuses
// (CodeTenantDisabled), while its DID document, JWKS and status lists stay published so that
// the credentials it issued can still be checked. Disabling a disabled tenant changes nothing.
func DisableTenant(ctx context.Context, store Store, name string, now time.Time) (TenantRecord, error) {
	rec, err := LookupTenant(ctx, store, name)
	if err != nil || rec.Disabled != nil {
		return rec, err
	}
	t := now.UTC()
	rec.Disabled = &t
	ts, _ := tenantStore(store)
	if err := ts.PutTenant(ctx, rec); err != nil {
		return TenantRecord{}, errs.Wrap(CodeStore, "store failed: storing tenant", err)
	}
	return rec, nil
}

// openTenant turns cfg into the configuration of tenant cfg.Tenant: its store view, its base
// URL under the deployment's, and its credential types.
func openTenant(ctx context.Context, cfg Config) (Config, TenantRecord, error) {
	rec, err := LookupTenant(ctx, cfg.Store, cfg.Tenant)
	if err != nil {
		return cfg, rec, err
	}
	view, err := cfg.Store.(TenantStore).Tenant(ctx, cfg.Tenant)
	if err != nil {
		return cfg, rec, errs.Wrap(CodeStore, "store failed: opening tenant "+cfg.Tenant, err)
	}
	cfg.Store = view
	cfg.BaseURL = TenantBaseURL(cfg.BaseURL, cfg.Tenant)
	if len(rec.Types) > 0 {
		all := cfg.CredentialTypes
		if all == nil {
			all = DefaultTypes()
		}
		var picked []CredentialType
		for _, name := range rec.Types {
			i := slices.IndexFunc(all, func(t CredentialType) bool { return t.Name == name })
			if i < 0 {
				return cfg, rec, errs.Errorf(CodeConfig, "invalid configuration: tenant %s issues credential type %q, which is not configured", rec.Name, name)
			}
			picked = append(picked, all[i])
		}
		cfg.CredentialTypes = picked
	}
	return cfg, rec, nil
}

// TenantBaseURL returns the public base URL of a tenant under a deployment's base URL.
func TenantBaseURL(base, tenant string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + TenantPathPrefix + tenant
}

// Tenant returns the issuer's tenant name ("" for the default issuer).
func (is *Issuer) Tenant() string { return is.tenant }

// Disabled reports whether the issuer's tenant was disabled when it was opened.
func (is *Issuer) Disabled() bool { return is.disabled }

// checkActing refuses an action by a disabled tenant or by a client of another tenant.
func (is *Issuer) checkActing(c *Client) error {
	if is.disabled {
		return errs.Errorf(CodeTenantDisabled, "tenant disabled: %s neither issues nor changes statuses", is.tenant)
	}
	if c != nil && c.Tenant != is.tenant {
		return errs.Errorf(CodeForbidden, "forbidden: API key %s belongs to another tenant", c.ID)
	}
	return nil
}

// OpenTenants opens an Issuer for every tenant of cfg.Store (disabled ones too: they keep
// publishing), each configured as cfg with its own tenant. A store without tenants has none.
func OpenTenants(ctx context.Context, cfg Config) ([]*Issuer, error) {
	if _, ok := cfg.Store.(TenantStore); !ok {
		return nil, nil
	}
	recs, err := ListTenants(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	out := make([]*Issuer, 0, len(recs))
	for _, r := range recs {
		c := cfg
		c.Tenant = r.Name
		is, err := New(ctx, c)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("opening tenant %s: %w", r.Name, err)
		}
		out = append(out, is)
	}
	return out, nil
}
