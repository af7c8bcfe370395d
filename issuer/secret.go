package issuer

import (
	"context"
	"fmt"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
)

// RotateSecret seals every signing key in store again under newSecret, opening it with
// oldSecret. newSecret must pass keys.CheckSecret; oldSecret only needs to open the keys (an
// older, weaker secret is exactly what rotation replaces). Run it while no issuer uses the
// store. Each key is rewritten on its own: after an interruption, run it again with the same
// two secrets; keys already sealed under newSecret are left as they are. It returns how many
// keys it sealed again. The keys of every tenant of store (TenantStore) are sealed again too.
func RotateSecret(ctx context.Context, store Store, oldSecret, newSecret []byte) (int, error) {
	n, err := rotateSecret(ctx, store, oldSecret, newSecret)
	if err != nil {
		return n, err
	}
	ts, ok := store.(TenantStore)
	if !ok {
		return n, nil
	}
	tenants, err := ListTenants(ctx, store)
	if err != nil {
		return n, err
	}
	for _, t := range tenants {
		view, err := ts.Tenant(ctx, t.Name)
		if err != nil {
			return n, errs.Wrap(CodeStore, "store failed: opening tenant "+t.Name, err)
		}
		m, err := rotateSecret(ctx, view, oldSecret, newSecret)
		n += m
		if err != nil {
			return n, fmt.Errorf("tenant %s: %w", t.Name, err)
		}
	}
	return n, nil
}

// rotateSecret seals the keys of one store (or tenant view) again.
func rotateSecret(ctx context.Context, store Store, oldSecret, newSecret []byte) (int, error) {
	if err := keys.CheckSecret(newSecret); err != nil {
		return 0, errs.Wrap(CodeNoSecret, fmt.Sprintf("new key-sealing secret refused: it must be %d bytes or more of randomness (%v)", keys.MinSecretBytes, err), err)
	}
	oldSealer, err := keys.NewSealer(oldSecret)
	if err != nil {
		return 0, errs.Wrap(CodeNoSecret, "old key-sealing secret refused", err)
	}
	newSealer, err := keys.NewSealer(newSecret)
	if err != nil {
		return 0, errs.Wrap(CodeNoSecret, "new key-sealing secret refused", err)
	}
	recs, err := store.Keys(ctx)
	if err != nil {
		return 0, errs.Wrap(CodeStore, "store failed: loading keys", err)
	}
	// Open every key first: a wrong old secret changes nothing.
	todo := make([]KeyRecord, 0, len(recs))
	for _, rec := range recs {
		if _, err := newSealer.OpenKey(rec.Sealed); err == nil {
			continue // sealed under the new secret by an interrupted run
		}
		k, err := oldSealer.OpenKey(rec.Sealed)
		if err != nil {
			return 0, errs.Wrap(CodeNoSecret, fmt.Sprintf("key-sealing secret wrong: key %s does not open with the old secret", rec.ID), err)
		}
		if rec.Sealed, err = newSealer.SealKey(k); err != nil {
			return 0, errs.Wrap(CodeNoSecret, fmt.Sprintf("sealing key %s", rec.ID), err)
		}
		todo = append(todo, rec)
	}
	for i, rec := range todo {
		if err := store.PutKey(ctx, rec); err != nil {
			return i, errs.Wrap(CodeStore, fmt.Sprintf("store failed: storing key %s (run the rotation again with the same secrets)", rec.ID), err)
		}
	}
	return len(todo), nil
}

// DerivedKey returns a 32-byte key for purpose (an HMAC key of a protocol layered on the
// issuer, say) derived from the key-sealing secret by keys.DeriveKey: every process configured
// with that secret derives the same key, before and after a restart, and the secret itself
// stays inside the engine.
func (is *Issuer) DerivedKey(purpose string) ([]byte, error) {
	k, err := keys.DeriveKey(is.cfg.Secret, purpose)
	if err != nil {
		return nil, errs.Wrap(CodeNoSecret, "key-sealing secret missing or wrong: deriving a key", err)
	}
	return k, nil
}
