package ariessign

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"strings"
	"testing"

	"github.com/mr-tron/base58"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/vcld"
)

// TestDIDKeyVectors: a known did:key encoding (aries' own test vector)
// decodes to its key and is what pkg/did encodes. (The JavaScript peers'
// did:key derivation is checked in TestInteropJSSignedVerifiesInGo, whose
// credentials are verified through DIDKeyResolver.)
func TestDIDKeyVectors(t *testing.T) {
	t.Parallel()
	for _, v := range []struct{ pubBase58, did string }{
		// aries-framework-go pkg/vdr/fingerprint TestCreateDIDKey.
		{"B12NYF8RrR3h41TDCTJojY59usg3mbtbjnFs7Eud1Y6u", "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"},
	} {
		pub, err := base58.Decode(v.pubBase58)
		if err != nil {
			t.Fatal(err)
		}
		fp := strings.TrimPrefix(v.did, "did:key:")
		got, err := DIDKeyResolver(context.Background(), v.did+"#"+fp)
		if err != nil {
			t.Fatalf("%s: %v", v.did, err)
		}
		if !ed25519.PublicKey(pub).Equal(got) {
			t.Fatalf("%s: key %x, want %x", v.did, got, pub)
		}
		if err := CheckDIDKeyVerificationMethod(v.did + "#" + fp); err != nil {
			t.Fatalf("%s: %v", v.did, err)
		}
		if d, _, err := did.KeyDID(ed25519.PublicKey(pub)); err != nil || d != v.did {
			t.Fatalf("pkg/did encodes %x as %s (%v), vector %s", pub, d, err, v.did)
		}
	}
}

// TestDIDKeyAgreesWithPkgDID: for many keys, pkg/did's did:key encoding,
// the test helper's independent one and DIDKeyResolver (aries) agree.
func TestDIDKeyAgreesWithPkgDID(t *testing.T) {
	t.Parallel()
	for i := range 64 {
		k := newTestKey(byte(i))
		pub := k.priv.Public().(ed25519.PublicKey)
		d, kid, err := did.KeyDID(pub)
		if err != nil {
			t.Fatal(err)
		}
		if d != k.did || kid != k.vm {
			t.Fatalf("pkg/did: %s %s, test helper: %s %s", d, kid, k.did, k.vm)
		}
		for _, vm := range []string{kid, d} {
			got, err := DIDKeyResolver(context.Background(), vm)
			if err != nil || !pub.Equal(got) {
				t.Fatalf("DIDKeyResolver(%s) = %x, %v", vm, got, err)
			}
		}
		if err := CheckDIDKeyVerificationMethod(kid); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDIDKeyRefusals: what DIDKeyResolver and CheckDIDKeyVerificationMethod
// refuse, with their classes; hostile fingerprints that make aries' decoder
// panic are errors.
func TestDIDKeyRefusals(t *testing.T) {
	t.Parallel()
	k := newTestKey(60)
	other := newTestKey(61)
	fp := strings.TrimPrefix(k.did, "did:key:")
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), zeroReader{})
	p256DID, p256KID, err := did.KeyDID(&p256.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	x25519 := "did:key:" + multibaseKey(0xec, make([]byte, 32))
	short := "did:key:" + multibaseKey(0xed, make([]byte, 31))
	blsShort := "did:key:" + multibaseKey(0xee, []byte{1, 2, 3}) // aries slices out of range
	nonCanonical := "did:key:z1" + fp[1:]                        // a leading zero byte more

	for _, tc := range []struct {
		vm        string
		checkWant error // CheckDIDKeyVerificationMethod; nil = accepted
	}{
		{k.did + "#" + strings.TrimPrefix(other.did, "did:key:"), vcld.ErrProofMismatch},
		{k.did + "#key-1", vcld.ErrProofMismatch},
		{k.did + "#", vcld.ErrProofMismatch},
		{k.did, vcld.ErrProofMismatch}, // a DID is not a verification method
		{p256KID, vcld.ErrMalformed},
		{p256DID, vcld.ErrMalformed},
		{x25519, vcld.ErrMalformed},
		{short, vcld.ErrMalformed},
		{blsShort, vcld.ErrMalformed},
		{nonCanonical, vcld.ErrMalformed},
		{"did:key:", vcld.ErrMalformed},
		{"did:key:6Mk", vcld.ErrMalformed},
		{"did:key:z0OIl", vcld.ErrMalformed},
		{"did:web:example.com#key-1", nil},
		{"did:key", nil}, // not a did:key URL at all
	} {
		_, err := DIDKeyResolver(context.Background(), tc.vm)
		if tc.vm != k.did && !errors.Is(err, vcld.ErrKeyNotFound) {
			t.Errorf("DIDKeyResolver(%q) = %v, want vcld.ErrKeyNotFound", tc.vm, err)
		}
		err = CheckDIDKeyVerificationMethod(tc.vm)
		if (tc.checkWant == nil) != (err == nil) || (tc.checkWant != nil && !errors.Is(err, tc.checkWant)) {
			t.Errorf("CheckDIDKeyVerificationMethod(%q) = %v, want %v", tc.vm, err, tc.checkWant)
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = 7
	}
	return len(b), nil
}

// TestSignRefusesDIDKeyOfAnotherKey: a did:key verification method must be
// the signer's key and well formed, for both suites; other DID methods are
// the caller's.
func TestSignRefusesDIDKeyOfAnotherKey(t *testing.T) {
	t.Parallel()
	p := newTestProcessor(t)
	k, other := newTestKey(62), newTestKey(63)
	for _, s := range []vcld.Suite{vcld.EddsaRdfc2022, vcld.Ed25519Signature2020} {
		for _, tc := range []struct {
			vm   string
			want error
		}{
			{k.vm, nil},
			{k.did + "#key-1", vcld.ErrProofMismatch},
			{k.vm, nil}, // after a failure, the cached check still passes
		} {
			_, err := p.SignCredential(context.Background(), mustJSON(t, credV1(k.did)), vcld.SignOptions{Signer: other.priv, VerificationMethod: tc.vm, Suite: s})
			if !errors.Is(err, vcld.ErrProofMismatch) {
				t.Errorf("%s: signer of another key with %s: %v, want vcld.ErrProofMismatch", s, tc.vm, err)
			}
			_, err = p.SignCredential(context.Background(), mustJSON(t, credV1(k.did)), vcld.SignOptions{Signer: k.priv, VerificationMethod: tc.vm, Suite: s})
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("%s: %s: %v, want %v", s, tc.vm, err, tc.want)
			}
		}
		web := credV1("did:web:issuer.example")
		if _, err := p.SignCredential(context.Background(), mustJSON(t, web), vcld.SignOptions{Signer: k.priv, VerificationMethod: "did:web:issuer.example#key-1", Suite: s}); err != nil {
			t.Errorf("%s: did:web: %v", s, err)
		}
	}
}

// FuzzDIDKeyResolver: any verification method string either fails with
// vcld.ErrKeyNotFound or yields an Ed25519 key whose canonical did:key (pkg/did)
// is the method's DID; it never panics.
func FuzzDIDKeyResolver(f *testing.F) {
	k := newTestKey(64)
	for _, s := range []string{k.vm, k.did, k.did + "#x", "did:key:z6Mk", "did:key:" + multibaseKey(0xee, []byte{1}),
		"did:key:" + multibaseKey(0xed, make([]byte, 33)), "did:key:z", "did:web:x#y", "did:key:z" + strings.Repeat("1", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, vm string) {
		pub, err := DIDKeyResolver(context.Background(), vm)
		cerr := CheckDIDKeyVerificationMethod(vm)
		if err != nil {
			if !errors.Is(err, vcld.ErrKeyNotFound) {
				t.Fatalf("%q: %v", vm, err)
			}
			return
		}
		d, kid, derr := did.KeyDID(pub)
		if derr != nil || d != strings.SplitN(vm, "#", 2)[0] {
			t.Fatalf("%q resolved to %x, whose did:key is %s (%v)", vm, pub, d, derr)
		}
		if (cerr == nil) != (vm == kid) {
			t.Fatalf("%q: check %v, key id %s", vm, cerr, kid)
		}
	})
}
