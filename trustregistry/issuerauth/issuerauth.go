// Package issuerauth plugs the trust registry into the issuer: it adapts a verified registry
// replica (trustregistry/replica) to issuer.Authoriser, so that an issuer asks, before it signs,
// whether the registry recognises it for every credential type it is about to assert.
//
// The issuer package never imports the registry (it declares the Authoriser it needs); this
// package is the one place where the two meet, as trustregistry/trustsource is for the verifier.
//
// The question is the one a relying party asks about the issuer's credentials, at issuance time,
// against the registry entry that describes the issuer itself: by default under the issuer's
// own scheme, the registry's domestic recognition (an active authority of the local scheme,
// registered for the type); with a LocalScheme, under that scheme's recognitions.
package issuerauth

import (
	"context"
	"errors"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/replica"
)

// Source answers registry questions: a *replica.Replica (fail-closed when stale), or Static.
type Source interface {
	// Decide answers q.
	Decide(q trustregistry.Query) trustregistry.Decision
	// Index returns the current index, or nil before the first snapshot.
	Index() *trustregistry.Index
}

// Authoriser is an issuer.Authoriser over a registry Source.
type Authoriser struct {
	src         Source
	localScheme string
}

// New adapts src to issuer.Authoriser. localScheme is the scheme whose recognition the issuer
// needs; empty means the issuer's own scheme (the domestic question).
func New(src Source, localScheme string) *Authoriser {
	return &Authoriser{src: src, localScheme: localScheme}
}

// Authorise implements issuer.Authoriser: one registry decision per type, at issuance time; the
// first refusal is the answer. The issuer is found by DID, else by its key thumbprint; an
// authority that pins keys must pin the issuer's current one (key_not_pinned otherwise).
func (a *Authoriser) Authorise(_ context.Context, issuerDID, keyThumbprint string, types []string, at time.Time) (issuer.Grant, error) {
	entity := issuerDID
	local := a.localScheme
	if idx := a.src.Index(); idx != nil {
		au, ok := idx.AuthorityByEntity(issuerDID)
		if !ok && keyThumbprint != "" {
			if au, ok = idx.AuthorityByEntity(keyThumbprint); ok {
				entity = keyThumbprint
			}
		}
		if ok && local == "" {
			local = au.Scheme
		}
	}
	g := issuer.Grant{Authorised: true, Code: trustregistry.CodeRecognised}
	for _, t := range types {
		d := a.src.Decide(trustregistry.Query{Entity: entity, KeyThumbprint: keyThumbprint, CredentialType: t,
			LocalScheme: local, At: at, IssuedAt: at})
		g.RegistryVersion, g.Authority, g.Scheme = d.RegistryVersion, d.Authority, d.Scheme
		if d.Code == trustregistry.CodeRegistryStale {
			return issuer.Grant{Stale: true, Code: d.Code, Message: d.Message, Type: t, RegistryVersion: d.RegistryVersion}, nil
		}
		if !d.Recognised {
			g.Authorised, g.Code, g.Message, g.Type = false, d.Code, d.Message, t
			return g, nil
		}
		g.Message = d.Message
	}
	return g, nil
}

// Ready implements issuer.ReadyReporter: the source must hold a fresh snapshot (a replica that
// has none yet, or whose copy is past its next update plus grace, cannot answer).
func (a *Authoriser) Ready() error {
	if r, ok := a.src.(interface{ Status() replica.Status }); ok {
		if st := r.Status(); !st.Ready {
			return errors.New("registry replica: " + st.Reason)
		}
		return nil
	}
	if a.src.Index() == nil {
		return errors.New("registry source holds no snapshot yet")
	}
	return nil
}

// Static is a Source over one fixed index (tests, benchmarks, offline tools): it never goes
// stale.
type Static struct{ idx *trustregistry.Index }

// NewStatic returns a Source answering from idx.
func NewStatic(idx *trustregistry.Index) *Static { return &Static{idx: idx} }

// Decide implements Source.
func (s *Static) Decide(q trustregistry.Query) trustregistry.Decision { return s.idx.Decide(q) }

// Index implements Source.
func (s *Static) Index() *trustregistry.Index { return s.idx }

var _ issuer.Authoriser = (*Authoriser)(nil)
