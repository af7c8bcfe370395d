package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/importer"
)

// importOpts are the flags of 'idport admin import ...'.
type importOpts struct {
	entity, anchor, anchorJWKS, trustMark, metadataType string
	did, domain                                         string
	scheme, id, legalName, types, assurance             string
}

func importFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.imp.entity, "entity", "", "federation: the leaf's entity identifier (https URL)")
	fs.StringVar(&o.imp.anchor, "trust-anchor", "", "federation: the trust anchor's entity identifier")
	fs.StringVar(&o.imp.anchorJWKS, "anchor-jwks", "", "federation: file with the trust anchor's JWK set, obtained out of band")
	fs.StringVar(&o.imp.trustMark, "trust-mark", "", "federation: trust mark type the leaf must carry")
	fs.StringVar(&o.imp.metadataType, "metadata-type", "", "federation: metadata whose jwks are pinned (default openid_credential_issuer)")
	fs.StringVar(&o.imp.did, "did", "", "the DID to import")
	fs.StringVar(&o.imp.domain, "domain", "", "the domain whose DNS-DID TXT records to import")
	fs.StringVar(&o.imp.scheme, "scheme", "", "scheme of the authority")
	fs.StringVar(&o.imp.id, "id", "", "authority id (default: derived from the source)")
	fs.StringVar(&o.imp.legalName, "legal-name", "", "legal name (default: from the source)")
	fs.StringVar(&o.imp.types, "type", "", "credential type(s), comma-separated (default: from the source)")
	fs.StringVar(&o.imp.assurance, "assurance", "", "assurance level of the authority in its scheme")
	fs.StringVar(&o.reason, "reason", "", "why (recorded in the audit log, with the import's provenance)")
}

func (o importOpts) target() importer.Target {
	t := importer.Target{Scheme: o.scheme, AuthorityID: o.id, LegalName: o.legalName, Assurance: o.assurance}
	if o.types != "" {
		t.CredentialTypes = strings.Split(o.types, ",")
	}
	return t
}

func adminImportFederation(ctx context.Context, x *adminRun, _ []string) error {
	o := x.o.imp
	if o.entity == "" || o.anchor == "" || o.anchorJWKS == "" {
		return errors.New("--entity, --trust-anchor and --anchor-jwks are required")
	}
	jwks, err := os.ReadFile(o.anchorJWKS)
	if err != nil {
		return fmt.Errorf("reading the trust anchor's keys: %w", err)
	}
	req := importer.FederationRequest{Target: o.target(), Entity: o.entity, TrustAnchor: o.anchor, AnchorJWKS: jwks,
		TrustMark: o.trustMark, MetadataType: o.metadataType, Reason: x.o.reason}
	return x.withClient(func(c *adminclient.Client) error {
		r, err := c.ImportFederation(ctx, req)
		return x.printImport(r, err)
	})
}

func adminImportDID(ctx context.Context, x *adminRun, _ []string) error {
	if x.o.imp.did == "" {
		return errors.New("--did is required")
	}
	return x.withClient(func(c *adminclient.Client) error {
		r, err := c.ImportDID(ctx, importer.DIDRequest{Target: x.o.imp.target(), DID: x.o.imp.did, Reason: x.o.reason})
		return x.printImport(r, err)
	})
}

func adminImportDNSDID(ctx context.Context, x *adminRun, _ []string) error {
	if x.o.imp.domain == "" {
		return errors.New("--domain is required")
	}
	return x.withClient(func(c *adminclient.Client) error {
		r, err := c.ImportDNSDID(ctx, importer.DNSDIDRequest{Target: x.o.imp.target(), Domain: x.o.imp.domain, Reason: x.o.reason})
		return x.printImport(r, err)
	})
}

func adminRecheck(ctx context.Context, x *adminRun, _ []string) error {
	return x.withClient(func(c *adminclient.Client) error {
		r, err := c.Recheck(ctx, x.o.reason)
		return x.printImport(r, err)
	})
}

// printImport prints an import's or a re-check's answer.
func (x *adminRun) printImport(r *importer.Response, err error) error {
	if err != nil {
		return err
	}
	return x.out.print(r, func(w io.Writer) {
		for _, f := range r.Findings {
			fmt.Fprintf(w, "%s\t%s\t%s\t+%d -%d\t%s\n", f.Authority, f.Change, f.Source, len(f.Added), len(f.Removed), f.Detail)
		}
		if r.Note != "" {
			fmt.Fprintln(w, r.Note)
		}
		if r.Proposal == nil {
			fmt.Fprintln(w, "nothing changed at the sources; no proposal")
			return
		}
		fmt.Fprintf(w, "proposed %s (%d operations); it applies once approved by another account\n", r.Proposal.ID, len(r.Proposal.ChangeSet.Ops))
	})
}
