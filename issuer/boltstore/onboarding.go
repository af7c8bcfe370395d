package boltstore

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/boltkv"
)

// bucketOnboarding holds the cross-border onboarding records by id, created on first use.
var bucketOnboarding = []byte("onboarding")

// OnboardingStore keeps onboarding records in the issuer's bbolt file.
type OnboardingStore struct{ db *bolt.DB }

var _ issuer.OnboardingStore = (*OnboardingStore)(nil)

// OnboardingStore returns the onboarding record store over the same bbolt file.
func (s *Store) OnboardingStore() issuer.OnboardingStore { return &OnboardingStore{db: s.db} }

// PutOnboarding implements issuer.OnboardingStore.
func (s *OnboardingStore) PutOnboarding(_ context.Context, rec issuer.OnboardingRecord) error {
	return vciErr("put onboarding record", s.db.Update(func(tx *bolt.Tx) error {
		return boltkv.PutJSON(tx, bucketOnboarding, []byte(rec.ID), rec)
	}))
}

// Onboarding implements issuer.OnboardingStore.
func (s *OnboardingStore) Onboarding(_ context.Context, id string) (issuer.OnboardingRecord, bool, error) {
	var rec issuer.OnboardingRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = boltkv.GetJSON(tx, bucketOnboarding, []byte(id), &rec)
		return err
	})
	return rec, ok, vciErr("read onboarding record", err)
}
