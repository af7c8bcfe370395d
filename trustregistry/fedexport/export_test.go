package fedexport

import (
	"testing"
	"time"

	"github.com/idport/idport/trustregistry"
)

func TestHTTPSIdentifier(t *testing.T) {
	for dids, want := range map[string]string{
		"did:web:registrar.example.sg":            "https://registrar.example.sg",
		"did:web:Example.com%3A8443:issuers:acme": "https://example.com:8443",
		"did:key:z6Mk":                "",
		"did:web:":                    "",
		"did:web:evil.example%2Fpath": "",
	} {
		if got := HTTPSIdentifier(&trustregistry.Authority{DIDs: []string{dids}}); got != want {
			t.Errorf("%s: %q, want %q", dids, got, want)
		}
	}
}

func TestSubordinatesShareNoOrigin(t *testing.T) {
	at := time.Now()
	active := []trustregistry.StatusChange{{Status: trustregistry.StatusActive, EffectiveAt: at.Add(-time.Hour)}}
	st := &trustregistry.State{
		Authorities: map[string]*trustregistry.Authority{
			"a": {ID: "a", Scheme: "local", DIDs: []string{"did:web:shared.example"}, Statuses: active},
			"b": {ID: "b", Scheme: "local", DIDs: []string{"did:web:shared.example:b"}, Statuses: active},
			"c": {ID: "c", Scheme: "local", DIDs: []string{"did:web:c.example"}, Statuses: active},
			"d": {ID: "d", Scheme: "elsewhere", DIDs: []string{"did:web:d.example"}, Statuses: active},
		},
		Recognitions: map[string]*trustregistry.Recognition{"r": {ID: "r", LocalScheme: "local", ForeignScheme: "foreign", ValidFrom: at.Add(-time.Hour)}},
	}
	var got []string
	for _, s := range Subordinates(st, at) {
		got = append(got, s.EntityID)
	}
	want := []string{URNPrefix + "a", URNPrefix + "b", "https://c.example"}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
}
