package httpapi_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// usedCount counts the used-challenge records in dir/verifier.db (the
// service must be closed).
func usedCount(t *testing.T, dir string) int {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(dir, "verifier.db"), 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	if err := db.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket([]byte("challenges")).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestChallengesAreNotAWritePath: POST /challenges stores nothing; a
// forged or garbage presentation writes nothing either, and leaves the
// challenge usable by its holder; only a presentation whose proof verified
// records its challenge.
func TestChallengesAreNotAWritePath(t *testing.T) {
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(1, is.Authority())
	dir := t.TempDir()
	srv, svc := newService(t, trust, dir)
	dbPath := filepath.Join(dir, "verifier.db")
	size := func() int64 {
		fi, err := os.Stat(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}

	before := size()
	var nonce string
	for i := range 1000 {
		status, m := post(t, srv.URL+"/challenges", "application/json", []byte(`{}`))
		c, _ := m["challenge"].(string)
		if status != 200 || len(c) != 55 {
			t.Fatalf("challenge %d: %d %v", i, status, m)
		}
		nonce = c
	}
	if after := size(); after != before {
		t.Fatalf("1000 challenges grew verifier.db from %d to %d bytes", before, after)
	}

	const aud = "https://verifier.example"
	cred := is.JOSE(t, testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testutil.Now.Add(-time.Hour)}.JSON())
	verify := func(vp string) (int, map[string]any) {
		return post(t, srv.URL+"/presentations/verify", "application/json", jsonBody(map[string]any{"verifiablePresentation": vp, "options": map[string]any{"domain": aud}}))
	}
	raw, _ := base64.RawURLEncoding.DecodeString(nonce)
	raw[len(raw)-1] ^= 1
	forged := base64.RawURLEncoding.EncodeToString(raw)
	good := holder.JWTVP(t, nonce, aud, cred)
	parts := strings.Split(good, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 1
	badSig := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	for _, tt := range []struct{ name, vp, want string }{
		{"forged MAC", holder.JWTVP(t, forged, aud, cred), "challenge_invalid"},
		{"bad presenter signature", badSig, "signature_invalid"},
		{"someone else's proof", testutil.NewParty(t, keys.EdDSA).JWTVP(t, nonce, "https://elsewhere.example", cred), "challenge_invalid"},
	} {
		if status, m := verify(tt.vp); status != 400 || firstCode(m) != tt.want {
			t.Fatalf("%s: %d %v, want %s", tt.name, status, m, tt.want)
		}
	}
	if status, m := verify(good); status != 200 || m["verified"] != true {
		t.Fatalf("the holder's presentation after refused ones: %d %v", status, m)
	}
	if status, m := verify(good); status != 400 || firstCode(m) != "challenge_reused" {
		t.Fatalf("replay: %d %v", status, m)
	}
	srv.Close()
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if n := usedCount(t, dir); n != 1 {
		t.Fatalf("%d used-challenge records, want 1", n)
	}
}
