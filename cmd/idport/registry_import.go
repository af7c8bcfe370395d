package main

import (
	"context"
	"crypto/x509"
	"flag"
	"net"
	"strings"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/otelx"
	"github.com/idport/idport/trustregistry/importer"
	"github.com/idport/idport/trustregistry/oidfed"
)

// importFlagsRegistry configure the registry's importer (imports and re-checks of keys from
// OpenID federations, DID documents and DNS-DID domains).
type importFlagsRegistry struct {
	dnsServer  string
	allowHosts string
	caFile     string
}

func (f *importFlagsRegistry) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dnsServer, "dns-resolver", "", "DNS server (host:port) for DNS-DID imports (default: the system resolver)")
	fs.StringVar(&f.allowHosts, "import-allow-hosts", "", "comma-separated hosts imports may reach on private addresses (test federations only)")
	fs.StringVar(&f.caFile, "import-ca", "", "PEM file of CA certificates imports trust besides the system's CAs (federations and did:web hosts under a private CA)")
}

// importer builds the importer: every fetch through the SSRF-guarded client, traced by tp
// (nil: no tracing).
func (f *importFlagsRegistry) importer(tp *otelx.Provider) (*importer.Importer, error) {
	var roots []*x509.Certificate // added to the system's CAs
	if f.caFile != "" {
		var err error
		if roots, err = caCerts("import-ca", f.caFile); err != nil {
			return nil, err
		}
	}
	hosts := splitList(f.allowHosts)
	client := did.SafeHTTPClient(did.NetOptions{AllowHosts: hosts, ExtraRoots: roots,
		WrapTransport: tp.Transport(otelx.SpanFederation)})
	im := &importer.Importer{
		Chains: &oidfed.Resolver{Client: client},
		DIDs: did.NewResolver(did.ResolverOptions{AllowHosts: hosts, ExtraRoots: roots,
			WrapTransport: tp.Transport(otelx.SpanDIDWeb)}),
		DNS:     net.DefaultResolver,
		DNSName: "system",
	}
	if s := strings.TrimSpace(f.dnsServer); s != "" {
		im.DNS = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			d := net.Dialer{Timeout: 5 * time.Second}
			return d.DialContext(ctx, network, s)
		}}
		im.DNSName = s
	}
	return im, nil
}
