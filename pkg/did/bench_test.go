package did

import (
	"context"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/keys"
)

func BenchmarkResolveKeyDID(b *testing.B) {
	r := NewResolver(ResolverOptions{})
	for _, alg := range keys.Allowed {
		k, _ := keys.Generate(alg)
		_, kid, _ := KeyDID(k.Public)
		b.Run(string(alg)+"/uncached", func(b *testing.B) {
			b.ReportAllocs()
			d, _ := Parse(strings.TrimSuffix(kid, kid[strings.IndexByte(kid, '#'):]))
			for b.Loop() {
				doc, err := resolveKeyDID(d)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := doc.VerificationMethod[0].PublicKey(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(alg)+"/cached", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := ResolveKey(context.Background(), r, kid); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResolveWebCached(b *testing.B) {
	f := newWebFixture(&testing.T{})
	defer f.srv.Close()
	ks := genKeys(b)
	did, _ := f.publish(b, ks)
	r := f.resolver(ResolverOptions{})
	ctx := context.Background()
	if _, err := r.Resolve(ctx, did); err != nil {
		b.Fatal(err)
	}
	b.Run("Resolve", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Resolve(ctx, did); err != nil {
				b.Fatal(err)
			}
		}
	})
	kid := did + "#" + ks[0].ID
	b.Run("ResolveKey", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := ResolveKey(ctx, r, kid); err != nil {
				b.Fatal(err)
			}
		}
	})
	if h := f.hits.Load(); h != 1 {
		b.Fatalf("hits = %d", h)
	}
}
