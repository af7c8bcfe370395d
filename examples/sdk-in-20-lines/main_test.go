package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/idport/idport/examples/internal/storytest"
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
