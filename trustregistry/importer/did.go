package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
)

// DID resolves req.DID (fresh, when the resolver can refresh) and returns an authority with
// the DID and the keys of its assertion methods, each with the document as provenance.
func (im *Importer) DID(ctx context.Context, cur *trustregistry.State, req DIDRequest, by string) (*Result, error) {
	if im.DIDs == nil {
		return nil, errs.New(CodeImportUnavailable, "this registry does not import DID documents")
	}
	if err := trustregistry.ValidDID(req.DID); err != nil {
		return nil, errs.Wrap(trustregistry.CodeValidationFailed, "did: "+err.Error(), err).WithField(trustregistry.FieldPath, "did")
	}
	prov := trustregistry.Provenance{Method: trustregistry.ProvenanceDIDDocument, Source: req.DID, CheckedAt: im.now(), CheckedBy: by}
	ks, err := im.didKeys(ctx, req.DID, prov)
	if err != nil {
		return nil, err
	}
	t := req.Target
	if t.AuthorityID == "" {
		t.AuthorityID = req.DID
		if len(t.AuthorityID) > 128 {
			t.AuthorityID = t.AuthorityID[:128]
		}
	}
	a := authority(cur, t, req.DID, ks, func(k trustregistry.AuthorityKey) bool {
		return k.Provenance.Method == trustregistry.ProvenanceDIDDocument && k.Provenance.Source == req.DID
	})
	addDID(a, req.DID)
	return &Result{Authority: a, Note: fmt.Sprintf("imported from the DID document of %s fetched at %s", req.DID, prov.CheckedAt.Format("2006-01-02T15:04:05Z"))}, nil
}

// didKeys resolves d and returns the keys of its assertion methods with provenance p.
func (im *Importer) didKeys(ctx context.Context, d string, p trustregistry.Provenance) ([]trustregistry.AuthorityKey, error) {
	resolve := im.DIDs.Resolve
	if r, ok := im.DIDs.(did.Refresher); ok {
		resolve = r.Refresh
	}
	doc, err := resolve(ctx, d)
	if err != nil {
		return nil, errs.Wrap(CodeSourceUnusable, "the DID document of "+d+" could not be resolved", err)
	}
	var out []trustregistry.AuthorityKey
	for i := range doc.VerificationMethod {
		vm, err := doc.FindMethod(doc.VerificationMethod[i].ID, did.AssertionMethod)
		if err != nil {
			continue
		}
		pub, _, err := vm.PublicKey()
		if err != nil {
			continue
		}
		jwk, err := keys.MinimalJWK(pub)
		if err != nil {
			continue
		}
		tp, err := trustregistry.JWKThumbprint(jwk)
		if err != nil {
			continue
		}
		kp := p
		kp.Note = "verification method " + vm.ID
		out = append(out, trustregistry.AuthorityKey{Thumbprint: tp, JWK: jwk, Provenance: kp})
	}
	if len(out) == 0 {
		return nil, errs.New(CodeSourceUnusable, "the DID document of "+d+" has no Ed25519 or P-256 assertion method")
	}
	return out, nil
}

func addDID(a *trustregistry.Authority, d string) {
	for _, x := range a.DIDs {
		if x == d {
			return
		}
	}
	a.DIDs = append(a.DIDs, d)
}

// DNSDID looks up the DNS-DID TXT records of req.Domain ("openatts a=dns-did;
// p=<did>#controller; v=1.0;"), and returns an authority with each DID found; the keys of a
// DID the resolver can resolve are pinned with the record and the resolver as provenance.
func (im *Importer) DNSDID(ctx context.Context, cur *trustregistry.State, req DNSDIDRequest, by string) (*Result, error) {
	if im.DNS == nil {
		return nil, errs.New(CodeImportUnavailable, "this registry has no DNS resolver for DNS-DID imports")
	}
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(req.Domain)), ".")
	if domain == "" || strings.ContainsAny(domain, "/: ") || !strings.Contains(domain, ".") {
		return nil, errs.New(trustregistry.CodeValidationFailed, "domain: a DNS name is required").WithField(trustregistry.FieldPath, "domain")
	}
	txts, err := im.DNS.LookupTXT(ctx, domain)
	if err != nil {
		return nil, errs.Wrap(CodeSourceUnusable, "the TXT records of "+domain+" could not be looked up", err)
	}
	t := req.Target
	if t.AuthorityID == "" {
		t.AuthorityID = "dns:" + domain
	}
	if t.LegalName == "" {
		t.LegalName = domain
	}
	var ks []trustregistry.AuthorityKey
	var dids, unresolved []string
	for _, txt := range txts {
		d, ok := ParseDNSDID(txt)
		if !ok || trustregistry.ValidDID(d) != nil {
			continue
		}
		dids = append(dids, d)
		p := trustregistry.Provenance{Method: trustregistry.ProvenanceDNSDID, Source: d, CheckedAt: im.now(), CheckedBy: by,
			DNS: &trustregistry.DNSProvenance{Domain: domain, Record: txt, Resolver: im.DNSName}}
		if im.DIDs == nil {
			unresolved = append(unresolved, d)
			continue
		}
		got, err := im.didKeys(ctx, d, p)
		if err != nil {
			unresolved = append(unresolved, d)
			continue
		}
		ks = append(ks, got...)
	}
	if len(dids) == 0 {
		return nil, errs.New(CodeSourceUnusable, domain+" has no DNS-DID TXT record (openatts a=dns-did; p=<did>#controller; v=1.0;)")
	}
	a := authority(cur, t, domain, ks, func(k trustregistry.AuthorityKey) bool {
		return k.Provenance.Method == trustregistry.ProvenanceDNSDID && k.Provenance.DNS != nil && k.Provenance.DNS.Domain == domain
	})
	for _, d := range dids {
		addDID(a, d)
	}
	note := fmt.Sprintf("imported from the DNS-DID TXT records of %s (resolver %s) at %s: %s", domain, orSystem(im.DNSName),
		im.now().Format("2006-01-02T15:04:05Z"), strings.Join(dids, ", "))
	if len(unresolved) > 0 {
		note += "; no key pinned for " + strings.Join(unresolved, ", ") + " (DID not resolvable here)"
	}
	return &Result{Authority: a, Note: note}, nil
}

func orSystem(s string) string {
	if s == "" {
		return "system"
	}
	return s
}

// ParseDNSDID reads an OpenAttestation DNS-DID TXT record and returns the DID it names
// (without the #controller fragment).
func ParseDNSDID(txt string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(txt), "openatts ")
	if !ok {
		return "", false
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if ok {
			fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if fields["a"] != "dns-did" || fields["v"] != "1.0" || fields["p"] == "" {
		return "", false
	}
	d, _, _ := strings.Cut(fields["p"], "#")
	return d, true
}
