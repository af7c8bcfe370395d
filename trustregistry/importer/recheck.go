package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/oidfed"
)

// Finding is one imported source whose keys differ from what the registry pins.
type Finding struct {
	Authority string `json:"authority"`
	Method    string `json:"method"`
	Source    string `json:"source"`
	// Change is "changed" (keys added or removed at the source), "vanished" (the source no
	// longer vouches for the entity or serves the document) or "unreachable" (no answer; no
	// change proposed).
	Change  string   `json:"change"`
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	Detail  string   `json:"detail,omitempty"`
}

// RecheckReport is the outcome of Recheck: the findings and the change set that brings the
// registry in line with the sources (empty when nothing changed).
type RecheckReport struct {
	Findings  []Finding               `json:"findings"`
	ChangeSet trustregistry.ChangeSet `json:"change_set"`
}

// Reason summarises the report for a proposal.
func (r *RecheckReport) Reason() string {
	var parts []string
	for _, f := range r.Findings {
		if f.Change != "unreachable" {
			parts = append(parts, fmt.Sprintf("%s: %s keys %s at %s (+%d -%d)", f.Authority, f.Method, f.Change, f.Source, len(f.Added), len(f.Removed)))
		}
	}
	return "re-check of imported keys: " + strings.Join(parts, "; ")
}

type sourceKey struct{ method, source string }

// Recheck fetches the source of every imported key of cur again and reports the keys that
// changed or vanished; the change set updates the authorities concerned (an authority left
// with no identifier is suspended instead).
func (im *Importer) Recheck(ctx context.Context, cur *trustregistry.State, by string) (*RecheckReport, error) {
	rep := &RecheckReport{Findings: []Finding{}}
	for _, id := range cur.IDs(trustregistry.KindAuthority) {
		a := cur.Authorities[id]
		next := cloneKeys(a)
		changed := false
		for _, sk := range importedSources(a) {
			pinned := keysOf(a, sk)
			fresh, err := im.fetchSource(ctx, cur, a, sk, pinned[0].Provenance, by)
			f := Finding{Authority: id, Method: sk.method, Source: sk.source}
			switch {
			case err != nil && errs.CodeOf(err) == oidfed.CodeFetchFailed && !oidfed.NotServed(err):
				f.Change, f.Detail = "unreachable", err.Error()
				rep.Findings = append(rep.Findings, f)
				continue
			case err != nil:
				f.Change, f.Detail, f.Removed = "vanished", err.Error(), thumbs(pinned)
				next = slices.DeleteFunc(next, func(k trustregistry.AuthorityKey) bool { return sourceOf(k) == sk })
			default:
				f.Added, f.Removed = diff(thumbs(fresh), thumbs(pinned)), diff(thumbs(pinned), thumbs(fresh))
				if len(f.Added) == 0 && len(f.Removed) == 0 {
					continue
				}
				f.Change = "changed"
				next = slices.DeleteFunc(next, func(k trustregistry.AuthorityKey) bool { return sourceOf(k) == sk })
				next = append(next, fresh...)
			}
			rep.Findings = append(rep.Findings, f)
			changed = true
		}
		if !changed {
			continue
		}
		if len(next) == 0 && len(a.DIDs) == 0 {
			rep.ChangeSet.Ops = append(rep.ChangeSet.Ops, trustregistry.Op{Op: trustregistry.OpSetAuthorityStatus, ID: id,
				Status: trustregistry.StatusSuspended, Reason: "every imported key vanished at its source"})
			continue
		}
		cp := *a
		cp.Statuses, cp.Keys = nil, next
		rep.ChangeSet.Ops = append(rep.ChangeSet.Ops, trustregistry.Op{Op: trustregistry.OpUpsertAuthority, Authority: &cp})
	}
	return rep, nil
}

// fetchSource fetches the keys of one imported source again, with fresh provenance.
func (im *Importer) fetchSource(ctx context.Context, cur *trustregistry.State, a *trustregistry.Authority, sk sourceKey, p trustregistry.Provenance, by string) ([]trustregistry.AuthorityKey, error) {
	t := Target{AuthorityID: a.ID, Scheme: a.Scheme}
	switch sk.method {
	case trustregistry.ProvenanceFederation:
		fp := p.Federation
		if fp == nil {
			return nil, errs.New(CodeSourceUnusable, "no federation provenance recorded")
		}
		req := FederationRequest{Target: t, Entity: fp.Entity, TrustAnchor: fp.TrustAnchor, AnchorJWKS: fp.AnchorJWKS, MetadataType: fp.MetadataType}
		for _, tm := range fp.TrustMarks {
			req.TrustMark, _, _ = strings.Cut(tm, " (")
			break
		}
		if req.MetadataType == "federation_entity" {
			req.MetadataType = ""
		}
		r, err := im.Federation(ctx, cur, req, by)
		if err != nil {
			return nil, err
		}
		return keysOf(r.Authority, sk), nil
	case trustregistry.ProvenanceDIDDocument:
		return im.didKeys(ctx, sk.source, trustregistry.Provenance{Method: sk.method, Source: sk.source, CheckedAt: im.now(), CheckedBy: by})
	case trustregistry.ProvenanceDNSDID:
		if p.DNS == nil {
			return nil, errs.New(CodeSourceUnusable, "no DNS provenance recorded")
		}
		r, err := im.DNSDID(ctx, cur, DNSDIDRequest{Target: t, Domain: p.DNS.Domain}, by)
		if err != nil {
			return nil, err
		}
		return keysOf(r.Authority, sk), nil
	}
	return nil, nil
}

func importedSources(a *trustregistry.Authority) []sourceKey {
	var out []sourceKey
	for _, k := range a.Keys {
		sk := sourceOf(k)
		switch sk.method {
		case trustregistry.ProvenanceFederation, trustregistry.ProvenanceDIDDocument, trustregistry.ProvenanceDNSDID:
			if !slices.Contains(out, sk) {
				out = append(out, sk)
			}
		}
	}
	return out
}

func sourceOf(k trustregistry.AuthorityKey) sourceKey {
	return sourceKey{k.Provenance.Method, k.Provenance.Source}
}

func keysOf(a *trustregistry.Authority, sk sourceKey) []trustregistry.AuthorityKey {
	var out []trustregistry.AuthorityKey
	for _, k := range a.Keys {
		if sourceOf(k) == sk {
			out = append(out, k)
		}
	}
	return out
}

func cloneKeys(a *trustregistry.Authority) []trustregistry.AuthorityKey { return slices.Clone(a.Keys) }

func thumbs(ks []trustregistry.AuthorityKey) []string {
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		out = append(out, k.Thumbprint)
	}
	return out
}

// diff returns the members of a not in b.
func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
