package edsig

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// edgeCase is one verification input of the published edge-case sets.
type edgeCase struct {
	name           string
	pub, msg, sig  []byte
	wantStdlibPass bool
}

// loadGzipJSON reads a gzip-compressed JSON file of testdata into v.
func loadGzipJSON(t testing.TB, name string, v any) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(zr).Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edgeCases returns the "Taming the many EdDSAs" speccheck cases and the
// ed25519vectors set (small-order and non-canonical points and scalars in
// every combination), with what crypto/ed25519 says of each.
func edgeCases(t testing.TB) []edgeCase {
	var spec []struct {
		Message   string `json:"message"`
		PublicKey string `json:"pub_key"`
		Signature string `json:"signature"`
	}
	loadGzipJSON(t, "speccheck_cases.json.gz", &spec)
	var vectors []struct {
		A, R, S, M string
		Flags      []string
	}
	loadGzipJSON(t, "ed25519vectors.json.gz", &vectors)
	var out []edgeCase
	for i, c := range spec {
		out = append(out, edgeCase{name: fmt.Sprintf("speccheck/%d", i),
			pub: unhex(t, c.PublicKey), msg: unhex(t, c.Message), sig: unhex(t, c.Signature)})
	}
	for i, v := range vectors {
		sig := append(unhex(t, v.R), unhex(t, v.S)...)
		out = append(out, edgeCase{name: fmt.Sprintf("ed25519vectors/%d%v", i, v.Flags),
			pub: unhex(t, v.A), msg: []byte(v.M), sig: sig})
	}
	for i := range out {
		out[i].wantStdlibPass = ed25519.Verify(out[i].pub, out[i].msg, out[i].sig)
	}
	return out
}

func TestVerifyMatchesStdlibOnEdgeCases(t *testing.T) {
	cases := edgeCases(t)
	if len(cases) < 100 {
		t.Fatalf("only %d edge cases loaded", len(cases))
	}
	accepted := 0
	for _, c := range cases {
		// The first call expands the key, the second takes it from the cache.
		for round := range 2 {
			if got := Verify(c.pub, c.msg, c.sig); got != c.wantStdlibPass {
				t.Errorf("%s (round %d): Verify = %v, crypto/ed25519 says %v", c.name, round, got, c.wantStdlibPass)
			}
		}
		if c.wantStdlibPass {
			accepted++
		}
	}
	// The sets hold signatures the standard library accepts and refuses;
	// a comparison on one side only would prove little.
	if accepted == 0 || accepted == len(cases) {
		t.Fatalf("%d of %d edge cases accepted by crypto/ed25519: the sets did not load as expected", accepted, len(cases))
	}
}

func TestSignIsTheStandardSignature(t *testing.T) {
	for i := range 200 {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, i*7)
		rand.Read(msg)
		sig := Sign(priv, msg)
		if want := ed25519.Sign(priv, msg); !bytes.Equal(sig, want) {
			t.Fatalf("key %d: Sign differs from crypto/ed25519.Sign", i)
		}
		if !Verify(pub, msg, sig) {
			t.Fatalf("key %d: own signature refused", i)
		}
		// A changed message, signature or key is refused, from the cache.
		tampered := append([]byte(nil), sig...)
		tampered[i%64] ^= 1 << (i % 8)
		if Verify(pub, msg, tampered) {
			t.Fatalf("key %d: signature with bit %d flipped accepted", i, i%64*8+i%8)
		}
		if Verify(pub, append(msg, 0), sig) {
			t.Fatalf("key %d: signature accepted for a longer message", i)
		}
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		if Verify(other, msg, sig) {
			t.Fatalf("key %d: signature accepted under another key", i)
		}
	}
}

func TestVerifyRefusesBadLengths(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sig := Sign(priv, []byte("m"))
	for _, c := range []struct {
		name     string
		pub, sig []byte
	}{
		{"short key", pub[:31], sig},
		{"long key", append(pub, 0), sig},
		{"empty key", nil, sig},
		{"short signature", pub, sig[:63]},
		{"long signature", pub, append(sig, 0)},
	} {
		if Verify(c.pub, []byte("m"), c.sig) {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestCacheStaysBounded(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub := priv.Public().(ed25519.PublicKey)
	sig := Sign(priv, []byte("kept"))
	for range CacheSize + 50 {
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		Verify(other, []byte("kept"), sig)
		cache.mu.RLock()
		n := len(cache.keys)
		cache.mu.RUnlock()
		if n > CacheSize {
			t.Fatalf("cache holds %d keys, bound %d", n, CacheSize)
		}
	}
	// After the cache was emptied, a key is expanded again and verifies.
	if !Verify(pub, []byte("kept"), sig) {
		t.Fatal("signature refused after the cache turned over")
	}
}

// TestConcurrentVerify runs verifications of several keys at once (run with
// -race): the cache is shared by every goroutine of the process.
func TestConcurrentVerify(t *testing.T) {
	type signed struct {
		pub      ed25519.PublicKey
		msg, sig []byte
	}
	var set []signed
	for i := range 8 {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		msg := []byte(fmt.Sprintf("message %d", i))
		set = append(set, signed{pub, msg, Sign(priv, msg)})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				s := set[(g+i)%len(set)]
				if !Verify(s.pub, s.msg, s.sig) {
					errs <- fmt.Sprintf("goroutine %d: valid signature refused", g)
					return
				}
				if Verify(s.pub, append([]byte("x"), s.msg...), s.sig) {
					errs <- fmt.Sprintf("goroutine %d: signature accepted for another message", g)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// FuzzVerifyMatchesStdlib compares the verdicts of Verify and
// crypto/ed25519.Verify. Each input signs msg with a key made from seed, then
// flips the bits of mutation into the signature and the key (the first 64
// bytes of mutation into the signature, the next 32 into the key), so the
// fuzzer explores valid signatures and their near misses, not only random
// bytes; raw edge cases from the published sets are seeds as well.
func FuzzVerifyMatchesStdlib(f *testing.F) {
	f.Add(make([]byte, 32), []byte("message"), []byte{})
	f.Add(bytes.Repeat([]byte{7}, 32), []byte{}, []byte{0x80})
	f.Add(bytes.Repeat([]byte{9}, 32), []byte("m"), append(make([]byte, 95), 1))
	for _, c := range edgeCases(f) {
		// Seeds that verify the raw case: an all-zero seed's key replaced
		// by the case's key through the mutation.
		seedKey := ed25519.NewKeyFromSeed(make([]byte, 32))
		sig := ed25519.Sign(seedKey, c.msg)
		mut := make([]byte, 96)
		for i := range 64 {
			mut[i] = sig[i] ^ c.sig[i]
		}
		for i := range 32 {
			mut[64+i] = seedKey[32+i] ^ c.pub[i]
		}
		f.Add(make([]byte, 32), c.msg, mut)
	}
	f.Fuzz(func(t *testing.T, seed, msg, mutation []byte) {
		if len(seed) != ed25519.SeedSize {
			return
		}
		priv := ed25519.NewKeyFromSeed(seed)
		sig := ed25519.Sign(priv, msg)
		if got := Sign(priv, msg); !bytes.Equal(got, sig) {
			t.Fatal("Sign differs from crypto/ed25519.Sign")
		}
		pub := append(ed25519.PublicKey(nil), priv[32:]...)
		for i, m := range mutation {
			switch {
			case i < 64:
				sig[i] ^= m
			case i < 96:
				pub[i-64] ^= m
			}
		}
		want := ed25519.Verify(pub, msg, sig)
		for round := range 2 {
			if got := Verify(pub, msg, sig); got != want {
				t.Fatalf("round %d: Verify = %v, crypto/ed25519 says %v (pub %x sig %x)", round, got, want, pub, sig)
			}
		}
	})
}

// TestVerifyRefusesKeysOffTheCurve: a 32-byte key that encodes no curve point is refused on
// first sight and again once its failed expansion is remembered in the cache, as
// crypto/ed25519 refuses it, whatever the signature.
func TestVerifyRefusesKeysOffTheCurve(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("m")
	sig := Sign(priv, msg)
	found := 0
	for y := byte(2); found < 8 && y < 255; y++ {
		pub := make([]byte, ed25519.PublicKeySize)
		pub[0] = y
		if _, err := voi.NewExpandedPublicKey(voi.PublicKey(pub)); err == nil {
			continue // a point: not what this test is about
		}
		found++
		for round := range 2 {
			if Verify(pub, msg, sig) || ed25519.Verify(pub, msg, sig) {
				t.Fatalf("key y=%d (round %d): accepted", y, round)
			}
		}
		cache.mu.RLock()
		e, cached := cache.keys[[ed25519.PublicKeySize]byte(pub)]
		cache.mu.RUnlock()
		if !cached || e != nil {
			t.Fatalf("key y=%d: the failed expansion is not remembered (cached %v)", y, cached)
		}
	}
	if found == 0 {
		t.Fatal("no off-curve key found among the small y values")
	}
}
