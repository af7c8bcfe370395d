package trustsource

import (
	"fmt"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/verifier"
)

// LocalSchemeSource is a Source that is also unready while its snapshot does not list the
// verifier's local scheme: a verifier whose --local-scheme is misspelt would reject every
// credential with local_scheme_unknown, so it must not look ready.
type LocalSchemeSource struct {
	*Source
	scheme string
}

// RequireLocalScheme returns s with the local-scheme readiness rule; an empty scheme adds none.
func RequireLocalScheme(s *Source, scheme string) *LocalSchemeSource {
	return &LocalSchemeSource{Source: s, scheme: scheme}
}

// Status implements verifier.TrustSource: the Source's status, and not ready when the
// snapshot has no scheme named like the local scheme.
func (s *LocalSchemeSource) Status() verifier.TrustStatus {
	st := s.Source.Status()
	if !st.Ready || s.scheme == "" {
		return st
	}
	if idx := s.replica.Index(); idx == nil || !contains(idx.IDs(trustregistry.KindScheme), s.scheme) {
		st.Ready = false
		st.Reason = fmt.Sprintf("local scheme %q is not in the registry snapshot (version %d): check --local-scheme", s.scheme, st.Version)
	}
	return st
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

var _ verifier.TrustSource = (*LocalSchemeSource)(nil)
