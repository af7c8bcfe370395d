package trustregistry

import (
	"errors"
	"testing"
	"time"
)

// An authority recognised by DNS domain (identifier kind dns_domain) is decided with the domain
// as the entity, with the same grounds as by DID.
func TestDecideByDNSDomain(t *testing.T) {
	cs := demoSeed(demoDID, t0)
	cs.Ops[4].Authority.DNSDomains = []string{"registrar.example.sg"}
	s, _ := mustApply(t, NewState(), cs, t0)
	x := NewIndex(s)
	at := t0.Add(time.Hour)
	d := x.Decide(Query{Entity: "registrar.example.sg", CredentialType: demoType, LocalScheme: demoLocalScheme, At: at})
	if !d.Recognised || d.Authority != demoAuthorityID || d.Recognition != demoRecognitionID || d.LocalAssurance != "L3" {
		t.Fatalf("decision = %+v", d)
	}
	if a, ok := x.AuthorityByEntity("registrar.example.sg"); !ok || a.ID != demoAuthorityID {
		t.Fatal("AuthorityByEntity")
	}
	if d := x.Decide(Query{Entity: "other.example.sg", CredentialType: demoType, LocalScheme: demoLocalScheme, At: at}); d.Code != CodeIssuerNotRecognised {
		t.Fatalf("unknown domain: %+v", d)
	}
}

func TestValidateDNSDomains(t *testing.T) {
	for _, bad := range []string{"Registrar.example.sg", "registrar.example.sg.", "localhost", "-a.example.sg", "a..sg", "a b.sg"} {
		cs := demoSeed(demoDID, t0)
		cs.Ops[4].Authority.DNSDomains = []string{bad}
		if _, _, err := Apply(NewState(), cs, t0); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// A domain-only authority is valid.
	cs := demoSeed(demoDID, t0)
	cs.Ops[4].Authority.DIDs, cs.Ops[4].Authority.DNSDomains = nil, []string{"registrar.example.sg"}
	if _, _, err := Apply(NewState(), cs, t0); err != nil {
		t.Fatal(err)
	}
	// One domain, one authority.
	cs = demoSeed(demoDID, t0)
	cs.Ops[4].Authority.DNSDomains = []string{"registrar.example.sg"}
	dup := *cs.Ops[4].Authority
	dup.ID, dup.DIDs = "other", []string{"did:web:other.example.sg"}
	op := cs.Ops[4]
	op.Authority = &dup
	cs.Ops = append(cs.Ops, op)
	if _, _, err := Apply(NewState(), cs, t0); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
}
