package trustsource

import (
	"fmt"
	"strings"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/verifier"
)

// provenanceOf turns the registry's key provenance into the SDK's: the kind of source and one
// line naming it. nil gives nil.
func provenanceOf(p *trustregistry.Provenance) *verifier.Provenance {
	if p == nil {
		return nil
	}
	out := &verifier.Provenance{ImportedBy: p.CheckedBy, ImportedAt: p.CheckedAt}
	switch {
	case p.TrustedList != nil || p.Method == trustregistry.ProvenanceTrustedList:
		out.Kind, out.Description = verifier.ProvenanceTrustedList, describeTrustedList(p)
	case p.Federation != nil || p.Method == trustregistry.ProvenanceFederation:
		out.Kind, out.Description = verifier.ProvenanceFederation, describeFederation(p)
	case p.DNS != nil || p.Method == trustregistry.ProvenanceDNSDID:
		out.Kind = verifier.ProvenanceDNSDID
		out.Description = "DNS-DID record"
		if p.DNS != nil {
			out.Description += " at " + p.DNS.Domain
		}
	case p.Method == trustregistry.ProvenanceDIDDocument:
		out.Kind, out.Description = verifier.ProvenanceDIDDocument, "DID document"
		if p.Source != "" {
			out.Description += " of " + p.Source
		}
	default:
		out.Kind, out.Description = verifier.ProvenanceManual, describeManual(p)
	}
	return out
}

func describeTrustedList(p *trustregistry.Provenance) string {
	tl := p.TrustedList
	if tl == nil {
		return "ETSI trusted list " + p.Source
	}
	return fmt.Sprintf("EU trusted list %s seq %d, TSP %s, service %s", tl.Territory, tl.SequenceNumber, tl.TSPName, tl.ServiceName)
}

func describeFederation(p *trustregistry.Provenance) string {
	f := p.Federation
	if f == nil {
		return "federation entity " + p.Source
	}
	return federationLine(strings.Join(f.Chain, " -> "), f.ChainExpiresAt)
}

// federationLine is the one-line description of a trust chain.
func federationLine(chain string, expires time.Time) string {
	return "federation chain " + chain + ", expires " + expires.UTC().Format(time.RFC3339)
}

// describeManual joins "registered by the regulators" and the method, source and note that
// are set, with ", ": one allocation, as it runs on every recognised verification.
func describeManual(p *trustregistry.Provenance) string {
	const head, method, source, sep = "registered by the regulators", ", method ", ", source ", ", "
	var b strings.Builder
	b.Grow(len(head) + len(method) + len(p.Method) + len(source) + len(p.Source) + len(sep) + len(p.Note))
	b.WriteString(head)
	if p.Method != "" {
		b.WriteString(method)
		b.WriteString(p.Method)
	}
	if p.Source != "" {
		b.WriteString(source)
		b.WriteString(p.Source)
	}
	if p.Note != "" {
		b.WriteString(sep)
		b.WriteString(p.Note)
	}
	return b.String()
}

// authorityProvenance is the provenance of a decision that names no key: the provenance all
// of the authority's pinned keys share (an authority imported from one source), else nil.
func authorityProvenance(idx *trustregistry.Index, entity string) *trustregistry.Provenance {
	if idx == nil {
		return nil
	}
	a, ok := idx.AuthorityByEntity(entity)
	if !ok || len(a.Keys) == 0 {
		return nil
	}
	first := &a.Keys[0].Provenance
	for i := range a.Keys[1:] {
		p := &a.Keys[i+1].Provenance
		if p.Method != first.Method || p.Source != first.Source {
			return nil
		}
	}
	return first
}
