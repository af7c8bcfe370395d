package trustregistry_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
)

// openSealed starts a registry over the bbolt file at path with key secret secret, and returns
// it with its public key (stop it with Close).
func openSealed(t *testing.T, path string, secret []byte) (*trustregistry.Service, []byte, error) {
	t.Helper()
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := trustregistry.NewService(trustregistry.Config{Store: st, KeySecret: secret, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if err := svc.Ready(); err != nil {
		svc.Close()
		return nil, nil, err
	}
	jwk, err := svc.PublicKeyJWK()
	if err != nil {
		t.Fatal(err)
	}
	return svc, jwk, nil
}

// TestRotateSecretReseals: after rotation the registry starts with the new secret, signs with
// the same key and passes its integrity checks; the old secret no longer opens it. A wrong old
// secret and a weak new one are refused and change nothing.
func TestRotateSecretReseals(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "registry.db")
	oldSecret := []byte("the registry's first key secret, 32+ bytes long")
	newSecret := []byte("k3Vb9QmT2xLr7WcZ8pNf4HsJ6yDg1AoE")
	svc, before, err := openSealed(t, path, oldSecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TrustedListSigner(ctx); err != nil { // a second sealed key to carry over
		t.Fatal(err)
	}
	svc.Close()

	rotate := func(old, neu []byte) (int, error) {
		st, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		return trustregistry.RotateSecret(ctx, st, old, neu)
	}
	if _, err := rotate([]byte("not the secret the keys are sealed with!!"), newSecret); err == nil {
		t.Fatal("a wrong old secret was accepted")
	}
	if _, err := rotate(oldSecret, bytes.Repeat([]byte("a"), 40)); err == nil {
		t.Fatal("a weak new secret was accepted")
	}
	if svc, _, err := openSealed(t, path, oldSecret); err != nil {
		t.Fatalf("a refused rotation changed the store: %v", err)
	} else {
		svc.Close()
	}

	n, err := rotate(oldSecret, newSecret)
	if err != nil || n != 2 {
		t.Fatalf("rotate: %d keys, %v", n, err)
	}
	if n, err := rotate(oldSecret, newSecret); err != nil || n != 0 {
		t.Fatalf("running it again (an interrupted run's retry): %d keys, %v", n, err)
	}
	svc, after, err := openSealed(t, path, newSecret)
	if err != nil {
		t.Fatalf("the registry does not start with the new secret: %v", err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("the registry key changed: rotation must reseal, not replace")
	}
	if _, err := svc.TrustedListSigner(ctx); err != nil {
		t.Fatalf("the trusted-list key does not open after rotation: %v", err)
	}
	svc.Close()
	if _, _, err := openSealed(t, path, oldSecret); err == nil {
		t.Fatal("the old secret still opens the registry")
	}
}
