package console

import (
	"testing"
	"time"

	"github.com/idport/idport/trustregistry"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	for lang, m := range catalogue {
		for other, om := range catalogue {
			for k := range m {
				if _, ok := om[k]; !ok {
					t.Errorf("%q is in the %s catalogue, not in %s", k, lang, other)
				}
			}
		}
	}
}

func TestLangFromAccept(t *testing.T) {
	for h, want := range map[string]string{
		"":                             LangEnglish,
		"zh-CN,zh;q=0.9,en;q=0.8":      LangChinese,
		"en-GB,en;q=0.9,zh-Hans;q=0.8": LangEnglish,
		"fr-FR, zh-TW;q=0.5, en;q=0.4": LangChinese,
		"de":                           LangEnglish,
		"en;q=0.2, zh-Hans-CN;q=0.9":   LangChinese,
		"zh;q=0, en;q=0.1":             LangEnglish,
	} {
		if got := langFromAccept(h); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", h, got, want)
		}
	}
}

func TestObjectDiffsGroupTheRegistrysDiffByObject(t *testing.T) {
	st := trustregistry.NewState()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	base, _, err := trustregistry.Apply(st, trustregistry.ChangeSet{Ops: []trustregistry.Op{
		{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: "SG", Name: "Singapore"}},
	}}, now)
	if err != nil {
		t.Fatal(err)
	}
	_, changes, err := trustregistry.Apply(base, trustregistry.ChangeSet{Ops: []trustregistry.Op{
		{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: "SG", Name: "Republic of Singapore"}},
		{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: "HK", Name: "Hong Kong"}},
	}}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	fields, err := trustregistry.DiffChanges(changes)
	if err != nil {
		t.Fatal(err)
	}
	d := objectDiffs(fields)
	if len(d) != 2 {
		t.Fatalf("%d objects changed, want 2: %+v", len(d), d)
	}
	for _, o := range d {
		switch o.ID {
		case "SG":
			if o.New || len(o.Fields) != 1 || o.Fields[0] != (fieldDiff{Name: "name", Before: "Singapore", After: "Republic of Singapore"}) {
				t.Errorf("SG: %+v", o)
			}
		case "HK":
			if !o.New || len(o.Fields) < 2 {
				t.Errorf("HK: %+v", o)
			}
		}
	}
}

func TestLocalNextStaysInTheConsole(t *testing.T) {
	for in, want := range map[string]string{
		"/console/proposals?status=pending": "/console/proposals?status=pending",
		"https://evil.example/console/":     "/console/",
		"//evil.example/console/":           "/console/",
		"/admin/v1/whoami":                  "/console/",
		"":                                  "/console/",
	} {
		if got := localNext(in); got != want {
			t.Errorf("localNext(%q) = %q, want %q", in, got, want)
		}
	}
}
