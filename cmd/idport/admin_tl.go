package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/etsitl"
)

// tlImportOpts are the flags of 'idport admin import trusted-list'.
type tlImportOpts struct {
	signerCerts, serviceTypes, tsps, credentialTypes repeated
	scheme, assurance                                string
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func trustedListImportFlags(fs *flag.FlagSet, o *adminOpts) {
	fs.StringVar(&o.file, "file", "", "the ETSI TS 119 612 trusted list (XML)")
	fs.Var(&o.tl.signerCerts, "signer-cert", "PEM file of a pinned certificate the list must be signed by (repeatable)")
	fs.Var(&o.tl.serviceTypes, "service-type", "import only services of this ServiceTypeIdentifier URI (repeatable; default all)")
	fs.Var(&o.tl.tsps, "tsp", "import only this trust service provider, by name (repeatable; default all)")
	fs.Var(&o.tl.credentialTypes, "credential-type", "credential type the imported authorities issue (repeatable, at least one)")
	fs.StringVar(&o.tl.scheme, "scheme", "", "registry scheme the imported authorities join")
	fs.StringVar(&o.tl.assurance, "assurance", "", "assurance level of the scheme at which they issue")
	fs.StringVar(&o.reason, "reason", "", "why (recorded in the audit log)")
}

// adminImportTrustedList sends the list and its pins to the registry, which verifies it and
// proposes the selected services as authorities; it prints the diff key by key.
func adminImportTrustedList(ctx context.Context, x *adminRun, _ []string) error {
	o := x.o.tl
	if x.o.file == "" || len(o.signerCerts) == 0 || o.scheme == "" || len(o.credentialTypes) == 0 || x.o.reason == "" {
		return errors.New("--file, --signer-cert, --scheme, --credential-type and --reason are required")
	}
	list, err := readTrustedList(x.o.file)
	if err != nil {
		return err
	}
	req := etsitl.ImportRequest{List: list, Scheme: o.scheme, CredentialTypes: o.credentialTypes, Assurance: o.assurance,
		ServiceTypes: o.serviceTypes, TSPs: o.tsps, Source: filepath.Base(x.o.file), Reason: x.o.reason}
	for _, f := range o.signerCerts {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("--signer-cert: %w", err)
		}
		req.SignerCertificates = append(req.SignerCertificates, string(b))
	}
	return x.withClient(func(c *adminclient.Client) error {
		res, err := c.ImportTrustedList(ctx, req)
		if err != nil {
			return err
		}
		return x.out.print(res, func(w io.Writer) { printImport(w, res) })
	})
}

// readTrustedList reads the list file, refusing one over the size limit before reading it all.
func readTrustedList(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--file: %w", err)
	}
	defer f.Close()
	return etsitl.ReadLimited(f, etsitl.Limits{})
}

func printImport(w io.Writer, res *etsitl.ImportResult) {
	l := res.List
	fmt.Fprintf(w, "trusted list\t%s #%d by %s, issued %s, next update %s\n", l.Territory, l.SequenceNumber, l.Operator,
		l.IssuedAt.Format("2006-01-02"), l.NextUpdate.Format("2006-01-02"))
	fmt.Fprintf(w, "signed by\t%s (sha256 %s, pinned)\n", l.SignerSubject, l.SignerSHA256)
	for _, k := range res.Keys {
		mark := "+"
		if !k.New {
			mark = "="
		}
		fmt.Fprintf(w, "%s key %s\t%s\t%s / %s\t%s\n", mark, k.Thumbprint, k.Authority, k.Source.TSPName, k.Source.ServiceName, k.KeyType)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(w, "  skipped\t%s / %s\t%s\n", s.TSP, s.Service, s.Reason)
	}
	fmt.Fprintf(w, "proposed %s (%d authorities); it applies once approved by another account\n", res.Proposal.ID, len(res.Proposal.ChangeSet.Ops))
}
