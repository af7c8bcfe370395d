package verifier_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/storetest"
)

func TestMemoryChallenges(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	key := verifier.NewChallengeKey()
	s := verifier.NewMemoryChallengesWithKey(key)
	c, exp, err := s.Issue(ctx, now, time.Minute)
	if err != nil || !exp.Equal(now.Add(time.Minute)) || len(c) != 55 {
		t.Fatalf("Issue = %q %v %v", c, exp, err)
	}
	// A restart: a new store with the same key accepts the challenge.
	again, err := verifier.ChallengeKeyFromBytes(key.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	restarted := verifier.NewMemoryChallengesWithKey(again)
	other, _, _ := verifier.NewMemoryChallenges().Issue(ctx, now, time.Minute)
	raw, _ := base64.RawURLEncoding.DecodeString(c)
	raw[20] ^= 0x80
	forged := base64.RawURLEncoding.EncodeToString(raw)
	tests := []struct {
		name string
		s    verifier.ChallengeStore
		c    string
		at   time.Time
		want error
	}{
		{"forged", s, forged, now, verifier.ErrChallengeUnknown},
		{"other key", s, other, now, verifier.ErrChallengeUnknown},
		{"garbage", s, "not a challenge", now, verifier.ErrChallengeUnknown},
		{"expired", s, c, now.Add(time.Minute), verifier.ErrChallengeUnknown},
		{"first use", s, c, now.Add(time.Second), nil},
		{"reuse", s, c, now.Add(2 * time.Second), verifier.ErrChallengeUsed},
		{"same key, new store", restarted, c, now.Add(3 * time.Second), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Consume(ctx, tt.c, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("Consume = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestChallengeKeyErrors(t *testing.T) {
	if _, err := verifier.ChallengeKeyFromBytes(make([]byte, 16)); !errors.Is(err, verifier.ErrConfig) {
		t.Fatalf("16-byte key: %v", err)
	}
	if _, _, err := verifier.NewChallengeKey().Issue(time.Now(), 48*time.Hour); !errors.Is(err, verifier.ErrConfig) {
		t.Fatalf("48 h lifetime: %v", err)
	}
	c, exp, err := verifier.NewChallengeKey().Issue(time.Now(), 0)
	if err != nil || c == "" || time.Until(exp) > verifier.DefaultChallengeTTL {
		t.Fatalf("default lifetime: %q %v %v", c, exp, err)
	}
}

// FuzzChallengeCheck: Check never panics, and accepts nothing but what the
// key issued (in its canonical spelling).
func FuzzChallengeCheck(f *testing.F) {
	key := verifier.NewChallengeKey()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c, _, err := key.Issue(now, time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{c, c[:54], c + "A", "", "AQAAAAAAAAAA", "!!!!", c[:54] + "=", string(make([]byte, 55))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, exp, err := key.Check(s, now)
		if err != nil {
			if !errors.Is(err, verifier.ErrChallengeUnknown) {
				t.Fatalf("error %v does not wrap ErrChallengeUnknown", err)
			}
			return
		}
		if s != c || len(id) != 41 || !exp.Equal(now.Add(time.Minute)) {
			t.Fatalf("accepted %q (id %x, expiry %v)", s, id, exp)
		}
	})
}

// TestMemoryChallengesConformance: MemoryChallenges passes the
// ChallengeStore conformance suite.
func TestMemoryChallengesConformance(t *testing.T) {
	storetest.RunChallengeStore(t, func(*testing.T) verifier.ChallengeStore { return verifier.NewMemoryChallenges() })
}
