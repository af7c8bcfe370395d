// Package archtest checks the dependency rules of docs/architecture.md on
// the import graph, with `go list -deps -json`: they hold because this test
// fails, not because review catches them.
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/idport/idport"

// pkg is the part of `go list -json` output the rules read.
type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
	Module     *struct{ Path string }
}

// goList runs `go list -deps -json` at the module root and decodes every package.
func goList(t *testing.T, patterns ...string) []pkg {
	t.Helper()
	// go test puts its own toolchain's bin directory first in PATH.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not available")
	}
	cmd := exec.Command(gobin, append([]string{"list", "-deps", "-json=ImportPath,Standard,Imports,Deps,Module"}, patterns...)...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", patterns, err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

var (
	allOnce sync.Once
	all     []pkg
)

// modulePackages returns every package of the module (tests excluded:
// test-only imports do not link into anything).
func modulePackages(t *testing.T) []pkg {
	t.Helper()
	allOnce.Do(func() { all = goList(t, "./...") })
	if all == nil {
		t.Fatal("go list ./... failed in an earlier test")
	}
	var out []pkg
	for _, p := range all {
		if within(p.ImportPath, module) {
			out = append(out, p)
		}
	}
	return out
}

// within reports whether path is prefix or a package under it.
func within(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func withinAny(path string, prefixes ...string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return within(path, p) })
}

// Libraries no verification path may link: the aries-framework-go
// signing stack (and its 2022 go-jose), etcd, gin, the service-side
// observability stack: the Prometheus client and protobuf (metrics belong to
// the services, which adapt the SDK's hooks), the OpenTelemetry SDK and its
// OTLP exporters (the SDK's tracing hook is verifier.Tracer; the
// OpenTelemetry adapter is pkg/otelx). Matched as prefixes of import paths
// (gopkg.in/square/go-jose.v2 too).
var forbiddenInSDK = []string{
	otelSDK,
	otelExporters,
	module + "/pkg/otelx",
	"github.com/hyperledger/aries-framework-go",
	"github.com/go-jose/go-jose",
	"gopkg.in/go-jose",
	"gopkg.in/square/go-jose",
	"go.etcd.io/etcd",
	"github.com/gin-gonic/gin",
	"github.com/prometheus/",
	"google.golang.org/protobuf",
}

func TestVerifierDoesNotImportTheRegistry(t *testing.T) {
	for _, p := range modulePackages(t) {
		if !within(p.ImportPath, module+"/verifier") {
			continue
		}
		for _, d := range p.Deps {
			if within(d, module+"/trustregistry") {
				t.Errorf("%s depends on %s: the verifier declares TrustSource, trustregistry/trustsource adapts the registry to it", p.ImportPath, d)
			}
		}
	}
}

func TestIssuerAndVerifierAreIndependent(t *testing.T) {
	for _, p := range modulePackages(t) {
		for _, pair := range [][2]string{{"issuer", "verifier"}, {"verifier", "issuer"}} {
			if !within(p.ImportPath, module+"/"+pair[0]) {
				continue
			}
			for _, d := range p.Deps {
				if within(d, module+"/"+pair[1]) {
					t.Errorf("%s depends on %s: issuer and verifier never import each other", p.ImportPath, d)
				}
			}
		}
	}
}

func TestOnlyVcldImportsAries(t *testing.T) {
	for _, p := range modulePackages(t) {
		if within(p.ImportPath, module+"/pkg/vcld") {
			continue
		}
		for _, imp := range p.Imports {
			if within(imp, "github.com/hyperledger/aries-framework-go") {
				t.Errorf("%s imports %s: aries-framework-go stays under pkg/vcld", p.ImportPath, imp)
			}
		}
	}
}

// The OpenTelemetry SDK and its exporters, which only pkg/otelx imports.
const (
	otelSDK       = "go.opentelemetry.io/otel/sdk"
	otelExporters = "go.opentelemetry.io/otel/exporters"
)

func TestOnlyOtelxImportsTheOpenTelemetrySDK(t *testing.T) {
	for _, p := range modulePackages(t) {
		if within(p.ImportPath, module+"/pkg/otelx") {
			continue
		}
		for _, imp := range p.Imports {
			if withinAny(imp, otelSDK, otelExporters) {
				t.Errorf("%s imports %s: the OpenTelemetry SDK and exporters stay in pkg/otelx", p.ImportPath, imp)
			}
		}
	}
}

func TestPkgKnowsNoService(t *testing.T) {
	services := []string{module + "/issuer", module + "/verifier", module + "/trustregistry", module + "/cmd"}
	for _, p := range modulePackages(t) {
		if !within(p.ImportPath, module+"/pkg") {
			continue
		}
		for _, d := range p.Deps {
			if withinAny(d, services...) {
				t.Errorf("%s depends on service package %s: pkg/* knows no service", p.ImportPath, d)
			}
		}
	}
}

// TestSDKFootprint: a program that imports only the SDK (the verifier and
// the registry adapter) links none of the forbidden libraries. The deps of
// the two packages together are what such a program links, besides the
// runtime.
func TestSDKFootprint(t *testing.T) {
	sdk := []string{module + "/verifier", module + "/trustregistry/trustsource"}
	pkgs := goList(t, sdk...)
	byPath := make(map[string]pkg, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	reported := map[string]bool{}
	for _, p := range pkgs {
		i := slices.IndexFunc(forbiddenInSDK, func(f string) bool { return strings.HasPrefix(p.ImportPath, f) })
		if i < 0 || reported[forbiddenInSDK[i]] {
			continue
		}
		reported[forbiddenInSDK[i]] = true // one chain per library is enough to act on
		t.Errorf("the SDK links %s (via %s)", p.ImportPath, strings.Join(importChain(byPath, sdk, p.ImportPath), " -> "))
	}
	t.Logf("the SDK (%s) links %d packages", strings.Join(sdk, ", "), len(pkgs))
}

// importChain returns a shortest import path from one of roots to target.
func importChain(byPath map[string]pkg, roots []string, target string) []string {
	prev := map[string]string{}
	queue := slices.Clone(roots)
	for _, r := range roots {
		prev[r] = ""
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == target {
			var chain []string
			for n := cur; n != ""; n = prev[n] {
				chain = append([]string{n}, chain...)
			}
			return chain
		}
		for _, imp := range byPath[cur].Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return []string{target}
}
