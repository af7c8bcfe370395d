package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/idport/idport/pkg/dnstxt"
	"github.com/idport/idport/pkg/dnstxt/dnstest"
	"github.com/idport/idport/pkg/oa"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/internal/testutil"
)

func TestDocumentsVerify(t *testing.T) {
	dns, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	key, _ := secp256k1.GeneratePrivateKey()
	dns.SetTXT("merlion.example.sg", "openatts a=dns-did; p="+oa.KeyDID(key.PubKey())+"; v=1.0;")
	trust := verifier.NewStaticTrust(2, verifier.StaticAuthority{Issuer: "merlion.example.sg", Authority: "sg-merlion",
		Scheme: "sg.trade-documents", Jurisdiction: "SG", Types: []string{"INVOICE"}})
	svc, err := httpapi.NewService(httpapi.ServiceConfig{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler),
		Verifier: verifier.Config{TrustSource: trust, Clock: testutil.Clock, DNS: &dnstxt.Client{Servers: []string{dns.Addr}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	defer func() { srv.Close(); _ = svc.Close() }()

	doc, _ := oa.Wrap(map[string]any{"$template": map[string]any{"name": "INVOICE"}, "id": "INV-1",
		"issuers": []any{map[string]any{"name": "Merlion", "identityProof": map[string]any{"type": "DNS-DID",
			"location": "merlion.example.sg", "key": oa.KeyDID(key.PubKey())}}}})
	_ = doc.Sign(key, testutil.Now)
	raw, _ := json.Marshal(doc)

	post := func(body string) (int, map[string]any) {
		resp, err := http.Post(srv.URL+"/documents/verify", "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	code, m := post(`{"document":` + string(raw) + `}`)
	if code != 200 || m["verified"] != true {
		t.Fatalf("%d %v", code, m)
	}
	res := m["results"].(map[string]any)
	if res["format"] != string(verifier.FormatOpenAttestation) || res["document"].(map[string]any)["domain"] != "merlion.example.sg" {
		t.Fatalf("%v", res)
	}
	if m["recognition"].(map[string]any)["authority"] != "sg-merlion" {
		t.Fatalf("%v", m["recognition"])
	}
	// Not verified: 400 with the result.
	var tampered map[string]any
	_ = json.Unmarshal(raw, &tampered)
	tampered["data"].(map[string]any)["id"] = tampered["data"].(map[string]any)["id"].(string)[:36] + ":string:INV-2"
	b, _ := json.Marshal(tampered)
	if code, m := post(`{"document":` + string(b) + `}`); code != 400 || m["errors"].([]any)[0].(map[string]any)["code"] != "target_hash_mismatch" {
		t.Fatalf("%d %v", code, m)
	}
	// The request rules of the credential endpoints: a document given twice (a gateway reading
	// the first, the verifier the last) and twin or case-folded options are refused.
	for _, body := range []string{
		`{"document":` + string(b) + `,"document":` + string(raw) + `}`,
		`{"document":` + string(raw) + `,"options":{"minAssurance":"high","minAssurance":""}}`,
		`{"document":` + string(raw) + `,"options":{"MinAssurance":"high"}}`,
	} {
		if code, m := post(body); code != 400 || m["code"] != "malformed_json" {
			t.Fatalf("%.80s: %d %v", body, code, m)
		}
	}
	for _, body := range []string{`{}`, `{"document":"x"}`, `{"document":[1]}`} {
		if code, m := post(body); code != 422 || m["code"] != "not_a_credential" {
			t.Fatalf("%s: %d %v", body, code, m)
		}
	}
}
