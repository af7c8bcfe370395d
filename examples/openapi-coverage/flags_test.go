package openapicoverage

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// flagDecl matches flag declarations of the idport command: fs.StringVar(&x, "name", ...),
// fs.Bool("name", ...), fs.Var(&x, "name", ...).
var flagDecl = regexp.MustCompile(`fs\.(?:String|Bool|Int|Int64|Uint|Uint64|Float64|Duration)?(?:Var)?\((?:&[A-Za-z_.]+, )?"([a-z0-9-]+)"`)

// TestOperatorGuideListsEveryFlag: docs/operator-guide.md's configuration reference names every
// flag the idport command declares (regenerate its tables from `idport <command> --help`).
func TestOperatorGuideListsEveryFlag(t *testing.T) {
	guide, err := os.ReadFile(filepath.Join("..", "..", "docs", "operator-guide.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "cmd", "idport", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range flagDecl.FindAllSubmatch(src, -1) {
			name := string(m[1])
			if seen[name] {
				continue
			}
			seen[name] = true
			if !strings.Contains(string(guide), "`--"+name+"`") {
				t.Errorf("flag --%s (%s) is not in docs/operator-guide.md's configuration reference", name, filepath.Base(f))
			}
		}
	}
	if len(seen) < 20 {
		t.Fatalf("found only %d flags in cmd/idport: the declaration pattern is out of date", len(seen))
	}
}
