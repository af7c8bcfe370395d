package trustregistry

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
)

func signed(t testing.TB, k *keys.Key, s *State, seq uint64) []byte {
	t.Helper()
	b, err := SignSnapshot(k, &Snapshot{Issuer: "test", Sequence: seq, Version: s.Version, IssuedAt: t0, NextUpdate: t0.Add(time.Hour), State: s})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSnapshotSignVerify(t *testing.T) {
	for _, alg := range keys.Allowed {
		t.Run(string(alg), func(t *testing.T) {
			k, _ := keys.Generate(alg)
			s := demoState(t)
			jws := signed(t, k, s, 1)
			got, err := VerifySnapshot(jws, k.Public)
			if err != nil {
				t.Fatal(err)
			}
			if d := NewIndex(got.State).Decide(Query{Entity: demoDID, CredentialType: demoType, LocalScheme: demoLocalScheme, At: t0.Add(time.Hour)}); !d.Recognised {
				t.Fatalf("%+v", d)
			}
			other, _ := keys.Generate(alg)
			if _, err := VerifySnapshot(jws, other.Public); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("wrong key: %v", err)
			}
			bad := bytes.Clone(jws)
			bad[len(bad)/2] ^= 1
			if _, err := VerifySnapshot(bad, k.Public); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("tampered: %v", err)
			}
			// A JWS of another typ (a signed TRQP answer) is not a snapshot.
			ans, _ := SignJWS(k, "other+jwt", []byte(`{}`))
			if _, err := VerifySnapshot(ans, k.Public); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("other typ: %v", err)
			}
		})
	}
}

func FuzzVerifySnapshot(f *testing.F) {
	k, _ := keys.Generate(keys.EdDSA)
	f.Add(signed(f, k, demoState(f), 1))
	f.Add([]byte("eyJhbGciOiJub25lIn0.e30."))
	f.Add([]byte("a.b.c"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := VerifySnapshot(b, k.Public); err == nil && s.State == nil {
			t.Fatal("accepted a snapshot without state")
		}
	})
}

// BenchmarkSnapshotBuildSignVerify measures a snapshot of 10,000 authorities and 50 schemes:
// encode + sign (the registry's cost per change), verify + decode (a replica's cost per
// snapshot) and index build (the replica's swap).
func BenchmarkSnapshotBuildSignVerify(b *testing.B) {
	s, err := SyntheticState(10000, 50, t0)
	if err != nil {
		b.Fatal(err)
	}
	for _, alg := range keys.Allowed {
		k, _ := keys.Generate(alg)
		jws := signed(b, k, s, 1)
		b.Run(string(alg)+"/BuildSign", func(b *testing.B) {
			b.SetBytes(int64(len(jws)))
			for b.Loop() {
				signed(b, k, s, 1)
			}
		})
		b.Run(string(alg)+"/VerifyDecode", func(b *testing.B) {
			b.SetBytes(int64(len(jws)))
			for b.Loop() {
				if _, err := VerifySnapshot(jws, k.Public); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(alg)+"/VerifyDecodeIndex", func(b *testing.B) {
			for b.Loop() {
				snap, err := VerifySnapshot(jws, k.Public)
				if err != nil {
					b.Fatal(err)
				}
				NewIndex(snap.State)
			}
		})
	}
}

func TestJWSHeaderRefusals(t *testing.T) {
	k, _ := keys.Generate(keys.EdDSA)
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{}`))
	for name, hdr := range map[string]string{
		"alg none":  `{"alg":"none","typ":"x"}`,
		"HS256":     `{"alg":"HS256","typ":"x"}`,
		"jwk":       `{"alg":"EdDSA","typ":"x","jwk":{"kty":"OKP"}}`,
		"jku":       `{"alg":"EdDSA","typ":"x","jku":"https://evil"}`,
		"crit":      `{"alg":"EdDSA","typ":"x","crit":["exp"]}`,
		"b64 false": `{"alg":"EdDSA","typ":"x","b64":false}`,
	} {
		t.Run(name, func(t *testing.T) {
			input := base64.RawURLEncoding.EncodeToString([]byte(hdr)) + "." + payload
			sig, err := k.Sign([]byte(input))
			if err != nil {
				t.Fatal(err)
			}
			jws := []byte(input + "." + base64.RawURLEncoding.EncodeToString(sig))
			if _, _, err := VerifyJWS(jws, "x", k.Public); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
	for _, bad := range []string{"", "a", "a.b", "a.b.c.d", ".b.c", "!!.b.c"} {
		if _, _, err := VerifyJWS([]byte(bad), "x", k.Public); !errors.Is(err, ErrSnapshot) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}
