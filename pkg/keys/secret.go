package keys

import (
	"errors"
	"fmt"
	"math"
)

// MinSecretBytes is the least length of a key-sealing secret that CheckSecret accepts: 32
// bytes, as much as the AES-256 key derived from it.
const MinSecretBytes = 32

// minSealerSecretBytes is the least secret length NewSealer opens with. It is lower than
// MinSecretBytes so that keys sealed under an older, shorter secret can still be opened and
// sealed again under a strong one (secret rotation); new configurations go through CheckSecret.
const minSealerSecretBytes = 16

// minSecretEntropyBits is the least Shannon entropy, in bits per byte, of a secret's byte
// distribution. Random bytes measure close to 5 over 32 bytes, hex close to 4, English
// text around 3.8; a phrase of a few repeated letters falls under 3.
const minSecretEntropyBits = 3.0

// maxWeakPeriod is the longest pattern whose repetition makes a secret weak regardless of its
// length ("passwordpassword...").
const maxWeakPeriod = 8

// ErrWeakSecret reports a key-sealing secret that is too short or visibly not random.
var ErrWeakSecret = errors.New("keys: weak key-sealing secret")

// CheckSecret refuses a key-sealing secret that is shorter than MinSecretBytes or obviously
// weak: one repeated byte, a short pattern repeated (8 bytes or less, or repeated four times
// or more), or a byte distribution of low Shannon entropy. It cannot prove a secret random;
// it catches the values people type by hand. Generate secrets with a CSPRNG
// (openssl rand -hex 32).
func CheckSecret(secret []byte) error {
	if len(secret) < MinSecretBytes {
		return fmt.Errorf("%w: %d bytes, need at least %d", ErrWeakSecret, len(secret), MinSecretBytes)
	}
	if p := period(secret); p > 0 && (p <= maxWeakPeriod || len(secret)/p >= 4) {
		return fmt.Errorf("%w: it repeats a pattern of %d bytes", ErrWeakSecret, p)
	}
	if h := entropyBits(secret); h < minSecretEntropyBits {
		return fmt.Errorf("%w: %.1f bits of entropy per byte, need at least %.1f", ErrWeakSecret, h, minSecretEntropyBits)
	}
	return nil
}

// period returns the length of the shortest pattern that b repeats whole (b = pattern^k,
// k >= 2), or 0 when b is no such repetition.
func period(b []byte) int {
	for p := 1; p <= len(b)/2; p++ {
		if len(b)%p != 0 {
			continue
		}
		ok := true
		for i := p; i < len(b) && ok; i++ {
			ok = b[i] == b[i-p]
		}
		if ok {
			return p
		}
	}
	return 0
}

// entropyBits is the Shannon entropy of b's byte distribution, in bits per byte.
func entropyBits(b []byte) float64 {
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	h, n := 0.0, float64(len(b))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
