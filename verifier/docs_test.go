package verifier_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// codeValues returns the values of the Code constants declared in codes.go.
func codeValues(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s is not a string literal", name.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, v)
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d codes in codes.go", len(out))
	}
	return out
}

// TestDocsListEveryCode: docs/sdk.md names every stable code (as `code`),
// and so does the description of the verification code in docs/openapi.yaml.
func TestDocsListEveryCode(t *testing.T) {
	sdk, err := os.ReadFile("../docs/sdk.md")
	if err != nil {
		t.Fatal(err)
	}
	api, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var codeLine string
	for _, line := range strings.Split(string(api), "\n") {
		if strings.Contains(line, "stable verification code") {
			codeLine = line
			break
		}
	}
	if codeLine == "" {
		t.Fatal(`docs/openapi.yaml: no "stable verification code" description`)
	}
	apiWords := map[string]bool{}
	for _, w := range strings.FieldsFunc(codeLine, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z') }) {
		apiWords[w] = true
	}
	for _, c := range codeValues(t) {
		if !strings.Contains(string(sdk), "`"+c+"`") {
			t.Errorf("docs/sdk.md does not list the code %s", c)
		}
		if !apiWords[c] {
			t.Errorf("docs/openapi.yaml's verification code description does not list %s", c)
		}
	}
}

// TestDocsListEveryErrorCode: the pkg/errs codes of the OpenID4VP parts
// (verifier/dcql, verifier/openid4vp, verifier/httpapi's own) appear in
// docs/sdk.md (as `code`) and in docs/openapi.yaml's Problem codes.
func TestDocsListEveryErrorCode(t *testing.T) {
	sdk, err := os.ReadFile("../docs/sdk.md")
	if err != nil {
		t.Fatal(err)
	}
	api, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`errs\.New\("([a-z0-9_]+)"|errs\.New\((Code[A-Za-z0-9]+),`)
	consts := regexp.MustCompile(`(Code[A-Za-z0-9]+) += "([a-z0-9_]+)"`)
	var codes []string
	for _, f := range []string{"dcql/query.go", "openid4vp/errors.go", "openid4vp/transactions.go", "httpapi/openid4vp.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		named := map[string]string{}
		for _, m := range consts.FindAllStringSubmatch(string(b), -1) {
			named[m[1]] = m[2]
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if m[1] != "" {
				codes = append(codes, m[1])
			} else if v, ok := named[m[2]]; ok {
				codes = append(codes, v)
			}
		}
	}
	if len(codes) < 9 {
		t.Fatalf("found only %d codes: %v", len(codes), codes)
	}
	for _, c := range codes {
		if !strings.Contains(string(sdk), "`"+c+"`") {
			t.Errorf("docs/sdk.md does not list the error code %s", c)
		}
		if !regexp.MustCompile(`\b` + c + `\b`).Match(api) {
			t.Errorf("docs/openapi.yaml does not list the error code %s", c)
		}
	}
}
