package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/idport/idport/issuer"
)

// RunOnboarding runs the conformance suite of issuer.OnboardingStore: an unknown id is not
// found (and no error); a record reads back as written, every member included; a put replaces
// the record of its id and no other; concurrent puts of distinct ids all land; and, when
// newStore returns a reopen function, records survive closing and reopening the store.
// newStore returns an empty store and a function that closes it and opens the same data again
// (nil for a store that keeps nothing).
func RunOnboarding(t *testing.T, newStore func(t *testing.T) (issuer.OnboardingStore, func() issuer.OnboardingStore)) {
	t.Run("NotFound", func(t *testing.T) {
		s, _ := newStore(t)
		if _, ok, err := s.Onboarding(context.Background(), "onb-missing"); ok || err != nil {
			t.Fatalf("unknown id: ok %v err %v", ok, err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		s, _ := newStore(t)
		for _, r := range []issuer.OnboardingRecord{onboardingRec(1, `"eyJhbGciOiJFZERTQSJ9.e30.c2ln"`), onboardingRec(2, `{"@context":["https://www.w3.org/ns/credentials/v2"],"proof":{"type":"DataIntegrityProof"}}`)} {
			put(t, s, r)
			mustOnboarding(t, s, r)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		s, _ := newStore(t)
		a, b := onboardingRec(1, `"a"`), onboardingRec(2, `"b"`)
		put(t, s, a)
		put(t, s, b)
		a2 := a
		a2.CredentialID, a2.Credential, a2.Dropped = "urn:uuid:replaced", json.RawMessage(`"a2"`), nil
		put(t, s, a2)
		mustOnboarding(t, s, a2)
		mustOnboarding(t, s, b)
	})
	t.Run("Concurrent", func(t *testing.T) {
		s, _ := newStore(t)
		const n = 16
		var wg sync.WaitGroup
		errc := make(chan error, n)
		for i := range n {
			wg.Go(func() { errc <- s.PutOnboarding(context.Background(), onboardingRec(i, `"t"`)) })
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			mustOnboarding(t, s, onboardingRec(i, `"t"`))
		}
	})
	t.Run("Durable", func(t *testing.T) {
		s, reopen := newStore(t)
		if reopen == nil {
			t.Skip("this store keeps nothing across restarts")
		}
		r := onboardingRec(7, `"durable"`)
		put(t, s, r)
		mustOnboarding(t, reopen(), r)
	})
}

// onboardingRec is a record with every member set; cred is the local credential's JSON.
func onboardingRec(i int, cred string) issuer.OnboardingRecord {
	digest := fmt.Sprintf("sha256:%032x%032x", i+1, 0)
	return issuer.OnboardingRecord{ID: issuer.OnboardingID(digest), ForeignDigest: digest,
		ForeignIssuer: "did:web:acra.example.sg", ForeignTypes: []string{"BusinessRegistration"},
		Grounds: issuer.RecognitionGrounds{Authority: "sg-acra", Scheme: "sg-bizfile", Jurisdiction: "SG", Agreement: "sg-cn-2026",
			Recognition: "lingang-recognises-acra", ForeignAssurance: "high", LocalAssurance: "substantial", RegistryVersion: 42},
		Dropped: []string{"entityStatus"}, CredentialID: fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i),
		Type: "LingangBusinessRegistration", Format: "vc+jwt", Credential: json.RawMessage(cred), Created: t0, Client: "idpi_test"}
}

func put(t *testing.T, s issuer.OnboardingStore, r issuer.OnboardingRecord) {
	t.Helper()
	if err := s.PutOnboarding(context.Background(), r); err != nil {
		t.Fatalf("put %s: %v", r.ID, err)
	}
}

// mustOnboarding reads want's id and compares every member (the credential as JSON).
func mustOnboarding(t *testing.T, s issuer.OnboardingStore, want issuer.OnboardingRecord) {
	t.Helper()
	got, ok, err := s.Onboarding(context.Background(), want.ID)
	if err != nil || !ok {
		t.Fatalf("read %s: ok %v err %v", want.ID, ok, err)
	}
	var g, w bytes.Buffer
	if err := json.Compact(&g, got.Credential); err != nil {
		t.Fatalf("%s: stored credential is not JSON: %v", want.ID, err)
	}
	_ = json.Compact(&w, want.Credential)
	if g.String() != w.String() {
		t.Fatalf("%s: credential %s, want %s", want.ID, g.String(), w.String())
	}
	got.Credential, want.Credential = nil, nil
	if !got.Created.Equal(want.Created) {
		t.Fatalf("%s: created %v, want %v", want.ID, got.Created, want.Created)
	}
	got.Created = want.Created
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", want.ID, got, want)
	}
}
