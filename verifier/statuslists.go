package verifier

import (
	"context"
	"fmt"

	"github.com/idport/idport/pkg/statuslist"
)

// StatusLists adapts pkg/statuslist's Fetcher (fetch over the SSRF-guarded
// client, signature check, decoded lists cached for a bounded time) to
// StatusFetcher.
func StatusLists(f *statuslist.Fetcher) StatusFetcher { return statusLists{f: f} }

type statusLists struct{ f *statuslist.Fetcher }

// Lookup implements StatusFetcher.
func (s statusLists) Lookup(ctx context.Context, ref StatusRef) (StatusValue, error) {
	switch ref.Kind {
	case BitstringStatus:
		set, m, err := s.f.BitstringStatus(ctx, ref.URL, ref.Purpose, ref.Index)
		if err != nil {
			return StatusValue{}, fmt.Errorf("bitstring status list: %w", err)
		}
		v := StatusValue{Age: m.Age}
		if set {
			v.Value = 1
		}
		return v, nil
	case TokenStatus:
		val, m, err := s.f.TokenStatus(ctx, ref.URL, ref.Index)
		if err != nil {
			return StatusValue{}, fmt.Errorf("token status list: %w", err)
		}
		return StatusValue{Value: val, Age: m.Age}, nil
	}
	return StatusValue{}, fmt.Errorf("unknown status list kind %d", ref.Kind)
}
