package statuslist

import (
	"context"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
)

var sinkBool bool

func BenchmarkBitstringGet(b *testing.B) {
	list, _ := NewBitstring(MinEntries)
	list.Set(4242, true)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v, _ := list.Get(i & (MinEntries - 1))
		sinkBool = sinkBool != v
		i += 4099
	}
}

func BenchmarkTokenListGet(b *testing.B) {
	list, _ := NewTokenList(MinEntries, 2)
	list.Set(4242, Suspended)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v, _ := list.Get(i & (MinEntries - 1))
		sinkBool = sinkBool != (v == 0)
		i += 4099
	}
}

// BenchmarkFetcherCached is the verifier's hot path: a status check on a
// cached, decoded list (lock, map lookup, age, bit test).
func BenchmarkFetcherCached(b *testing.B) {
	s := newListServer(b)
	iss := newIssuer(b, keys.EdDSA)
	list, _ := NewBitstring(MinEntries)
	list.Set(42, true)
	jwt, _ := SignBitstringCredential(iss.key, iss.did, s.url("/l"), PurposeRevocation, list, time.Hour)
	s.put("/l", jwt)
	tl, _ := NewTokenList(MinEntries, 2)
	tok, _ := SignTokenList(iss.key, iss.did, s.url("/t"), tl, 0)
	s.put("/t", tok)
	f := s.fetcher(b, FetcherOptions{MaxTTL: time.Hour})
	ctx := context.Background()
	u, tu := s.url("/l"), s.url("/t")
	if _, _, err := f.BitstringStatus(ctx, u, PurposeRevocation, 42); err != nil {
		b.Fatal(err)
	}
	if _, _, err := f.TokenStatus(ctx, tu, 42); err != nil {
		b.Fatal(err)
	}
	b.Run("Bitstring", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, _, err := f.BitstringStatus(ctx, u, PurposeRevocation, 42)
			if err != nil || !v {
				b.Fatal(err)
			}
		}
	})
	b.Run("Token", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := f.TokenStatus(ctx, tu, 42); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("BitstringParallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := f.BitstringStatus(ctx, u, PurposeRevocation, 42); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkDecodeBitstring(b *testing.B) {
	list, _ := NewBitstring(MinEntries)
	for i := 0; i < MinEntries; i += 97 {
		list.Set(i, true)
	}
	enc, _ := list.Encode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBitstring(enc); err != nil {
			b.Fatal(err)
		}
	}
}
