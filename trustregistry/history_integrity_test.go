package trustregistry_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	bolt "go.etcd.io/bbolt"
)

// An attacker edits the stored history (the revisions an earlier version is rebuilt from) so
// that the registry would answer "what did you say at version 2" (the seed; version 1 records
// its filing) with a DID it never held. The current state is untouched, so the registry starts;
// the question as of version 2 is refused
// with state_integrity, and from then on the registry refuses to serve.
func TestAttackHistoryEditedInRegistryFileOffline(t *testing.T) {
	l := newLiveRegistry(t)
	seedAndSync(t, l)
	ctx := context.Background()
	q := trustregistry.Query{Entity: forgedDID, CredentialType: demoseed.Type, LocalScheme: demoseed.LocalScheme, AsOfVersion: 2}
	if d, err := l.svc.Decide(ctx, q); err != nil || d.Recognised {
		t.Fatalf("before the edit: %+v %v", d, err)
	}
	l.stop()
	editDB(t, l.file(), func(tx *bolt.Tx) error {
		revs := tx.Bucket(boltstore.BucketRevisions)
		c := revs.Cursor()
		prefix := append(slices.Clone(authorityKey), 0)
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			var rv trustregistry.Revision
			if err := json.Unmarshal(v, &rv); err != nil {
				return err
			}
			if rv.Version != 2 {
				continue
			}
			rv.Object = addDID(t, rv.Object)
			b, _ := json.Marshal(rv)
			return revs.Put(slices.Clone(k), b)
		}
		t.Fatal("no revision of the authority at version 2")
		return nil
	})
	l.start(t)
	if err := l.svc.Ready(); err != nil {
		t.Fatalf("the current state is untouched: %v", err)
	}
	d, err := l.svc.Decide(ctx, q)
	if errs.CodeOf(err) != trustregistry.CodeStateIntegrity || d.Recognised {
		t.Fatalf("as of version 2 after the edit: %+v %v", d, err)
	}
	if err := l.svc.Ready(); err == nil || !strings.Contains(err.Error(), "version/2") {
		t.Fatalf("Ready() after the history was found altered: %v", err)
	}
}
