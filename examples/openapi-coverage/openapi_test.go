package openapicoverage

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	issuerapi "github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/trustregistry"
	registryhttp "github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/memstore"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
)

// document is the part of an OpenAPI document the test reads.
type document struct {
	OpenAPI string                          `yaml:"openapi"`
	Paths   map[string]map[string]operation `yaml:"paths"`
}

type operation struct {
	OperationID string    `yaml:"operationId"`
	Services    []string  `yaml:"x-idport-services"`
	Responses   yaml.Node `yaml:"responses"`
}

var methods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true}

// ginParam matches gin path parameters (:id, *path).
var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// routes returns the "METHOD /path" of every route an engine registers, parameters written
// the OpenAPI way ({id}).
func routes(t *testing.T, name string, h http.Handler) []string {
	t.Helper()
	e, ok := h.(*gin.Engine)
	if !ok {
		t.Fatalf("%s: Handler() is a %T, not a *gin.Engine: the coverage test cannot list its routes", name, h)
	}
	var out []string
	for _, r := range e.Routes() {
		out = append(out, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(out)
	return out
}

func services(t *testing.T) map[string][]string {
	t.Helper()
	reg, err := trustregistry.NewService(trustregistry.Config{Store: memstore.New(), Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	st, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.DBFile), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	is, err := issuerapi.NewService(context.Background(), issuerapi.ServiceConfig{Issuer: issuer.Config{Store: st,
		BaseURL: "http://127.0.0.1:8442", Secret: []byte("openapi coverage test secret, 32+ bytes")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { is.Close() })
	ver, err := httpapi.NewService(httpapi.ServiceConfig{DataDir: t.TempDir(),
		Verifier: verifier.Config{TrustSource: verifier.Unavailable("coverage test")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ver.Close() })
	return map[string][]string{
		"registry": routes(t, "registry", registryhttp.New(reg, registryhttp.Options{}, slog.New(slog.DiscardHandler))),
		"issuer":   routes(t, "issuer", is.Handler()),
		"verifier": routes(t, "verifier", ver.Handler()),
	}
}

func readDocument(t *testing.T) document {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var d document
	if err := yaml.Unmarshal(b, &d); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		t.Fatalf("docs/openapi.yaml: openapi %q, want 3.x", d.OpenAPI)
	}
	return d
}

// documented returns, per service, the "METHOD /path" of every documented operation.
func documented(t *testing.T, d document) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	ids := map[string]bool{}
	for path, item := range d.Paths {
		for m, op := range item {
			if !methods[m] {
				continue // parameters, summary, ...
			}
			key := strings.ToUpper(m) + " " + path
			if len(op.Services) == 0 {
				t.Errorf("%s: no x-idport-services", key)
			}
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: operationId %q missing or not unique", key, op.OperationID)
			}
			ids[op.OperationID] = true
			if op.Responses.Kind != yaml.MappingNode || len(op.Responses.Content) == 0 {
				t.Errorf("%s: no responses", key)
			}
			for _, s := range op.Services {
				out[s] = append(out[s], key)
			}
		}
	}
	for s := range out {
		slices.Sort(out[s])
	}
	return out
}

// TestOpenAPICoversRoutes: every route the services register is documented for that service,
// and every documented operation is registered by the services it names.
func TestOpenAPICoversRoutes(t *testing.T) {
	have := services(t)
	doc := documented(t, readDocument(t))
	for s := range doc {
		if _, ok := have[s]; !ok {
			t.Errorf("docs/openapi.yaml names an unknown service %q", s)
		}
	}
	for s, rs := range have {
		for _, r := range rs {
			if !slices.Contains(doc[s], r) {
				t.Errorf("%s registers %s, which docs/openapi.yaml does not document for it", s, r)
			}
		}
		for _, r := range doc[s] {
			if !slices.Contains(rs, r) {
				t.Errorf("docs/openapi.yaml documents %s on the %s, which does not register it", r, s)
			}
		}
		t.Logf("%s: %d routes compared", s, len(rs))
	}
}

// TestProblemSchemaHasCode: error answers are problem+json with a stable code.
func TestProblemSchemaHasCode(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string       `yaml:"required"`
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
			Responses map[string]struct {
				Content map[string]any `yaml:"content"`
			} `yaml:"responses"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	p := d.Components.Schemas["Problem"]
	if !slices.Contains(p.Required, "code") || p.Properties["code"] == nil {
		t.Errorf("components.schemas.Problem must require a code: %+v", p)
	}
	if _, ok := d.Components.Responses["Problem"].Content["application/problem+json"]; !ok {
		t.Error("components.responses.Problem must be application/problem+json")
	}
}

// TestRefsResolve: every local $ref of docs/openapi.yaml points at a component that exists.
func TestRefsResolve(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	var walk func(n *yaml.Node)
	n := 0
	walk = func(node *yaml.Node) {
		for i := 0; i < len(node.Content); i++ {
			c := node.Content[i]
			if node.Kind == yaml.MappingNode && i%2 == 0 && c.Value == "$ref" && i+1 < len(node.Content) {
				n++
				if !resolves(&root, node.Content[i+1].Value) {
					t.Errorf("line %d: $ref %q does not resolve", c.Line, node.Content[i+1].Value)
				}
			}
			walk(c)
		}
	}
	walk(&root)
	if n == 0 {
		t.Fatal("no $ref found")
	}
}

func resolves(root *yaml.Node, ref string) bool {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	node := root.Content[0]
	for _, part := range strings.Split(path, "/") {
		if node.Kind != yaml.MappingNode {
			return false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == part {
				next = node.Content[i+1]
			}
		}
		if next == nil {
			return false
		}
		node = next
	}
	return true
}
