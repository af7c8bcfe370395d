package trustregistry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/idport/idport/pkg/keys"
)

// sealedSecret is one secret of the Store sealed with the key secret: how to reach its sealed
// key bytes and put them back.
type sealedSecret struct {
	name string
	// get and put read and replace the sealed key inside the stored blob (the blob itself for
	// the registry keys, a member of it for the trusted-list signing key).
	get func(blob []byte) ([]byte, error)
	put func(blob, sealed []byte) ([]byte, error)
}

func sealedSecrets() []sealedSecret {
	plain := sealedSecret{
		get: func(b []byte) ([]byte, error) { return b, nil },
		put: func(_, sealed []byte) ([]byte, error) { return sealed, nil },
	}
	cur, next := plain, plain
	cur.name, next.name = secretCurrentKey, secretNextKey
	list := sealedSecret{name: secretListKey,
		get: func(b []byte) ([]byte, error) {
			var st storedListKey
			err := json.Unmarshal(b, &st)
			return st.Sealed, err
		},
		put: func(b, sealed []byte) ([]byte, error) {
			var st storedListKey
			if err := json.Unmarshal(b, &st); err != nil {
				return nil, err
			}
			st.Sealed = sealed
			return json.Marshal(st)
		}}
	return []sealedSecret{cur, next, list}
}

// RotateSecret reseals every key the registry keeps in st (the registry key, a pending rotation
// key, the trusted-list signing key) from the old key secret to the new one. The registry must
// be stopped. It refuses a weak new secret (keys.CheckSecret) and an old secret that does not
// open every key, and then it has changed nothing: all keys are opened before the first write.
// The Store writes secrets one at a time, so a crash midway leaves some keys under the new
// secret; running RotateSecret again with the same two secrets finishes the job (a key that
// opens with the new secret already is left as it is). It returns how many keys it resealed.
func RotateSecret(ctx context.Context, st Store, oldSecret, newSecret []byte) (int, error) {
	if err := keys.CheckSecret(newSecret); err != nil {
		return 0, fmt.Errorf("new key secret: %w", err)
	}
	oldSealer, err := keys.NewSealer(oldSecret)
	if err != nil {
		return 0, fmt.Errorf("old key secret: %w", err)
	}
	newSealer, err := keys.NewSealer(newSecret)
	if err != nil {
		return 0, fmt.Errorf("new key secret: %w", err)
	}
	type pending struct {
		s    sealedSecret
		blob []byte
		key  *keys.Key
	}
	var todo []pending
	for _, s := range sealedSecrets() {
		blob, err := st.GetSecret(ctx, s.name)
		if errors.Is(err, ErrNotFound) || (err == nil && len(blob) == 0) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", s.name, err)
		}
		sealed, err := s.get(blob)
		if err != nil {
			return 0, fmt.Errorf("decoding %s: %w", s.name, err)
		}
		k, err := oldSealer.OpenKey(sealed)
		if err != nil {
			if _, again := newSealer.OpenKey(sealed); again == nil {
				continue // resealed by an earlier, interrupted run
			}
			return 0, fmt.Errorf("%s does not open with the old key secret (the wrong secret file?): %w", s.name, err)
		}
		todo = append(todo, pending{s, blob, k})
	}
	for i, p := range todo {
		sealed, err := newSealer.SealKey(p.key)
		if err != nil {
			return i, fmt.Errorf("sealing %s: %w", p.s.name, err)
		}
		blob, err := p.s.put(p.blob, sealed)
		if err != nil {
			return i, fmt.Errorf("encoding %s: %w", p.s.name, err)
		}
		if err := st.PutSecret(ctx, p.s.name, blob); err != nil {
			return i, fmt.Errorf("writing %s (run again with the same secrets to finish): %w", p.s.name, err)
		}
	}
	return len(todo), nil
}
