package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"

	"github.com/idport/idport/internal/storytest"
)

func TestSDKIn20Lines(t *testing.T) {
	storytest.Run(t, run, "verified in-process: authority sg-demo-registrar, registrationNumber=201912345K")
}

// TestTwentyLines keeps the example's promise: the SDK integration stays about 20 lines.
func TestTwentyLines(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "verifyWithSDK" {
			continue
		}
		n := fset.Position(fn.Body.Rbrace).Line - fset.Position(fn.Body.Lbrace).Line - 1
		t.Logf("verifyWithSDK has %d lines", n)
		if n > 26 {
			t.Errorf("verifyWithSDK has %d lines; the example promises about 20", n)
		}
		return
	}
	t.Fatal("verifyWithSDK not found")
}

// TestSDKGuideShowsThisCode: docs/sdk.md's first Go snippet is verifyWithSDK as it is here, so
// the guide shows code that compiles and runs.
func TestSDKGuideShowsThisCode(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "sdk.md"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(src, []byte("func verifyWithSDK("))
	end := bytes.Index(src[start:], []byte("\n}\n"))
	if start < 0 || end < 0 {
		t.Fatal("verifyWithSDK not found in main.go")
	}
	fn := src[start : start+end+3]
	_, after, ok := bytes.Cut(doc, []byte("```go\n"))
	if !ok || !bytes.HasPrefix(after, fn) {
		t.Errorf("docs/sdk.md's first Go snippet is not verifyWithSDK of main.go; update the guide:\n%s", fn)
	}
}
