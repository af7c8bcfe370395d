package trustsource_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// stringConsts returns the string values of the constants named Code* declared in file.
func stringConsts(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if i >= len(vs.Values) || !strings.HasPrefix(name.Name, "Code") {
				continue
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				out[name.Name] = v
			}
		}
		return true
	})
	return out
}

// TestEveryDecisionCodeIsAVerifierCode: a registry decision's code reaches SDK users as the
// recognition check's error code, so each one must also be a stable, exported verifier.Code
// (and so listed in docs/sdk.md and docs/openapi.yaml, which the verifier's own test checks).
func TestEveryDecisionCodeIsAVerifierCode(t *testing.T) {
	decisions := stringConsts(t, "../decide.go")
	if len(decisions) < 10 {
		t.Fatalf("found only %d decision codes in trustregistry/decide.go", len(decisions))
	}
	sdk := map[string]bool{}
	for _, v := range stringConsts(t, "../../verifier/codes.go") {
		sdk[v] = true
	}
	for name, v := range decisions {
		if v != "recognised" && !sdk[v] {
			t.Errorf("registry decision code %s = %q is no verifier.Code", name, v)
		}
	}
}
