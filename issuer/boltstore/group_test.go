package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
)

// Concurrent records share transactions: each is stored once its Record returns, and a record
// whose status entry is taken fails alone (ErrIndexTaken) without sinking the others.
func TestConcurrentRecordsShareCommitsAndFailAlone(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "issuer.db"), boltstore.Options{MaxBatchDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	rec := func(i int, index uint32) issuer.IssueRecord {
		return issuer.IssueRecord{ID: fmt.Sprintf("urn:uuid:00000000-0000-7000-8000-%012d", i), Type: "T", Format: "vc+jwt",
			Status: issuer.StatusRef{Set: 0, Index: index}, KeyID: "k1", Issued: now, Expires: now.Add(time.Hour)}
	}
	if err := st.Record(ctx, rec(0, 7)); err != nil {
		t.Fatal(err)
	}
	const n = 64
	errsGot := make([]error, n)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			index := uint32(1000 + i)
			if i == 13 {
				index = 7 // taken by record 0
			}
			errsGot[i-1] = st.Record(ctx, rec(i, index))
		})
	}
	wg.Wait()
	for i := 1; i <= n; i++ {
		err := errsGot[i-1]
		if i == 13 {
			if !errors.Is(err, issuer.ErrIndexTaken) {
				t.Errorf("record %d on a taken index: err %v, want ErrIndexTaken", i, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("record %d: %v", i, err)
		}
		if _, ok, err := st.Credential(ctx, rec(i, 0).ID); err != nil || !ok {
			t.Errorf("record %d not stored: ok %v, err %v", i, ok, err)
		}
	}
	if got, ok, _ := st.Credential(ctx, rec(13, 0).ID); ok {
		t.Errorf("the refused record is stored: %+v", got)
	}
}
