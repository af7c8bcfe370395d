package console_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
	"github.com/idport/idport/trustregistry/console"
	"github.com/idport/idport/trustregistry/httpapi"
	bolt "go.etcd.io/bbolt"
)

// authenticator is a software WebAuthn authenticator (P-256, "none" attestation) for the
// console's passkey ceremonies.
type authenticator struct {
	id    []byte
	key   *ecdsa.PrivateKey
	count uint32
}

func newAuthenticator(t testing.TB) *authenticator {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &authenticator{id: id, key: k}
}

var b64 = base64.RawURLEncoding

func (a *authenticator) authData(rpID string, flags byte, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	a.count++
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.count)
	return append(out, attested...)
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// register answers the options of /passkey/register/begin.
func (a *authenticator) register(t testing.TB, opts []byte, origin string) []byte {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(opts, &o); err != nil {
		t.Fatalf("registration options %s: %v", opts, err)
	}
	x, y := make([]byte, 32), make([]byte, 32)
	a.key.X.FillBytes(x)
	a.key.Y.FillBytes(y)
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	att := make([]byte, 16) // AAGUID
	att = binary.BigEndian.AppendUint16(att, uint16(len(a.id)))
	att = append(append(att, a.id...), cose...)
	obj, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(o.PublicKey.RP.ID, 0x45, att)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]string{"clientDataJSON": b64.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge, origin)),
			"attestationObject": b64.EncodeToString(obj)}})
	return b
}

// login answers the options of /passkey/login/begin.
func (a *authenticator) login(t testing.TB, opts []byte, origin string) []byte {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(opts, &o); err != nil {
		t.Fatalf("login options %s: %v", opts, err)
	}
	ad := a.authData(o.PublicKey.RPID, 0x05, nil)
	cd := clientData("webauthn.get", o.PublicKey.Challenge, origin)
	cdh := sha256.Sum256(cd)
	digest := sha256.Sum256(append(bytes.Clone(ad), cdh[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]string{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad), "signature": b64.EncodeToString(sig)}})
	return b
}

var passkeyCSRF = regexp.MustCompile(`data-csrf="([^"]+)"`)

// ceremony runs begin and finish of a passkey ceremony (register or login) from the passkey page.
func (b *browser) ceremony(kind string, answer func(opts []byte) []byte) int {
	b.t.Helper()
	_, page := b.get("/console/passkey")
	m := passkeyCSRF.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no passkey page:\n%s", page)
	}
	call := func(step string, body []byte) (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, b.base+"/console/passkey/"+kind+"/"+step+"?next=/console/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", m[1])
		req.Header.Set("Origin", b.base)
		res, err := b.c.Do(req)
		if err != nil {
			b.t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	st, opts := call("begin", []byte("{}"))
	if st != http.StatusOK {
		b.t.Fatalf("%s begin: %d %s", kind, st, opts)
	}
	st, out := call("finish", answer(opts))
	if st != http.StatusOK {
		b.t.Logf("%s finish: %d %s", kind, st, out)
	}
	return st
}

// consoleOnFile runs the registry with the console on a bbolt file in dir.
func consoleOnFile(t *testing.T, dir string) (*trustregistry.Service, *httptest.Server) {
	t.Helper()
	return consoleOnFileWith(t, dir, console.Config{})
}

// consoleOnFileWith is consoleOnFile with the console configured by cfg.
func consoleOnFileWith(t *testing.T, dir string, cfg console.Config) (*trustregistry.Service, *httptest.Server) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := boltstore.Open(filepath.Join(dir, "registry.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := trustregistry.NewService(trustregistry.Config{Store: st, KeySecret: []byte("console-passkey-test-secret-0123456789abcdef"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Console: &cfg}, log))
	// WebAuthn wants a domain, not an IP address, for its relying party id.
	srv.URL = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	return svc, srv
}

// Passkeys registered, used and removed through the console prove themselves when the
// registry restarts on its file; one removed offline makes it refuse to serve.
func TestPasskeysThroughTheConsoleSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	svc, srv := consoleOnFile(t, dir)
	_, tok, err := svc.CreateAccount(context.Background(), "alice", []trustregistry.Role{trustregistry.RoleProposer})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv.URL)
	b.signIn(tok)
	k1, k2 := newAuthenticator(t), newAuthenticator(t)
	for _, k := range []*authenticator{k1, k2} {
		if st := b.ceremony("register", func(o []byte) []byte { return k.register(t, o, srv.URL) }); st != http.StatusOK {
			t.Fatalf("registering a passkey: %d", st)
		}
	}
	srv.Close()
	svc.Close()

	svc, srv = consoleOnFile(t, dir)
	if err := svc.Ready(); err != nil {
		t.Fatalf("after passkeys were registered: %v", err)
	}
	b = newBrowser(t, srv.URL)
	_, page := b.get("/console/signin")
	res, _ := b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {tok}, "next": {"/console/"}}, srv.URL)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/console/passkey") {
		t.Fatalf("the token alone signed in: %d %s", res.StatusCode, loc)
	}
	if st := b.ceremony("login", func(o []byte) []byte { return k1.login(t, o, srv.URL) }); st != http.StatusOK {
		t.Fatalf("signing in with the passkey: %d", st)
	}
	_, page = b.get("/console/passkey")
	if !strings.Contains(page, b64.EncodeToString(k2.id)) {
		t.Fatalf("the passkey page does not list the passkeys:\n%s", page)
	}
	res, _ = b.post("/console/passkey/remove", url.Values{"csrf": {csrfOf(t, page)}, "id": {b64.EncodeToString(k2.id)}}, srv.URL)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing a passkey: %d", res.StatusCode)
	}
	srv.Close()
	svc.Close()

	svc, srv = consoleOnFile(t, dir)
	if err := svc.Ready(); err != nil {
		t.Fatalf("after a passkey was used and one removed: %v", err)
	}
	pks, err := svc.Passkeys(context.Background(), "alice")
	if err != nil || len(pks) != 1 || !bytes.Equal(pks[0].ID, k1.id) {
		t.Fatalf("alice's passkeys: %+v %v", pks, err)
	}
	b = newBrowser(t, srv.URL)
	_, page = b.get("/console/signin")
	b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {tok}, "next": {"/console/"}}, srv.URL)
	if st := b.ceremony("login", func(o []byte) []byte { return k2.login(t, o, srv.URL) }); st == http.StatusOK {
		t.Fatal("a removed passkey signed in")
	}
	srv.Close()
	svc.Close()

	// The remaining passkey deleted from the file offline: the token alone must not sign in.
	db, err := bolt.Open(filepath.Join(dir, "registry.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(boltstore.BucketAccounts)
		var a map[string]any
		if err := json.Unmarshal(bk.Get([]byte("alice")), &a); err != nil {
			return err
		}
		delete(a, "passkeys")
		raw, _ := json.Marshal(a)
		return bk.Put([]byte("alice"), raw)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	svc, srv = consoleOnFile(t, dir)
	defer svc.Close()
	defer srv.Close()
	if err := svc.Ready(); err == nil || !strings.Contains(err.Error(), "account/alice") {
		t.Fatalf("a passkey deleted offline: Ready() = %v", err)
	}
	b = newBrowser(t, srv.URL)
	_, page = b.get("/console/signin")
	res, _ = b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {tok}, "next": {"/console/"}}, srv.URL)
	if res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") == "/console/" {
		t.Fatal("the token alone signed in once the passkey was deleted offline")
	}
}

// Passkeys an earlier version kept outside the audit chain are not accepted, nor does the
// account fall back to its token alone: it registers a passkey again at its next sign-in.
func TestUnauditedPasskeysAreRegisteredAgain(t *testing.T) {
	reg := startRegistry(t, "did:example:sg", console.Config{})
	if err := reg.Svc.Store().PutSecret(context.Background(), "console-passkeys/alice", []byte(`[{"id":"AAAA","publicKey":"AAAA"}]`)); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, reg.URL)
	_, page := b.get("/console/signin")
	res, _ := b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {reg.Tokens["alice"]}, "next": {"/console/"}}, reg.URL)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/console/passkey") {
		t.Fatalf("the token alone signed in: %d %s", res.StatusCode, loc)
	}
	if _, page := b.get("/console/passkey"); !strings.Contains(page, `id="passkey-register"`) {
		t.Fatal("the passkey page does not offer enrolment")
	}
	b = newBrowser(t, reg.URL)
	if csrf := b.signIn(reg.Tokens["bob"]); csrf == "" {
		t.Fatal("bob, who never had a passkey, does not sign in with his token")
	}
}
