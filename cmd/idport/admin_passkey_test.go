package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	bolt "go.etcd.io/bbolt"
)

// `idport admin audit verify --data` names the account whose passkeys were removed from the
// registry's file behind its back, with and without the registry key.
func TestAdminAuditVerifyNamesAnAccountWhosePasskeysWereRemoved(t *testing.T) {
	data := t.TempDir()
	st, err := boltstore.Open(filepath.Join(data, "registry.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := trustregistry.NewService(trustregistry.Config{Store: st, KeySecret: []byte("admin-passkey-test-secret-0123456789abcdef"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := svc.CreateAccount(ctx, "alice", []trustregistry.Role{trustregistry.RoleProposer}); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddPasskey(ctx, "alice", trustregistry.Passkey{ID: []byte("credential-1"), PublicKey: []byte("cose-key-1")}); err != nil {
		t.Fatal(err)
	}
	jwk, err := svc.PublicKeyJWK()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "registry.jwk")
	if err := os.WriteFile(keyFile, jwk, 0o600); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	if out, err := adminCmd(t, nil, "audit", "verify", "--data", data, "--registry-key", keyFile); err != nil || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("before the edit: %q %v", out, err)
	}

	db, err := bolt.Open(filepath.Join(data, "registry.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(boltstore.BucketAccounts)
		var a map[string]any
		if err := json.Unmarshal(b.Get([]byte("alice")), &a); err != nil {
			return err
		}
		delete(a, "passkeys")
		raw, _ := json.Marshal(a)
		return b.Put([]byte("alice"), raw)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"audit", "verify", "--data", data}, {"audit", "verify", "--data", data, "--registry-key", keyFile}} {
		out, err := adminCmd(t, nil, args...)
		if err == nil || !strings.Contains(out, "audit chain BROKEN") || !strings.Contains(out, "account/alice") || !strings.Contains(out, "passkeys") {
			t.Fatalf("%v: %q %v", args, out, err)
		}
	}
}
