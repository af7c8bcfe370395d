package issuer_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/idport/idport/issuer/internal/benchutil"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/statuslist"
)

// BenchmarkHTTPIssue is an issuance load run over loopback: a real listener, the full
// middleware stack, API-key authentication, durable status allocation (bbolt db.Batch), and
// 64 concurrent keep-alive clients in the same process (so the client's CPU counts against
// the 2 cores too). Raw Ed25519 signing of a credential-sized input runs in the same
// benchmark for the ratio.
//
//	go test -run '^$' -bench BenchmarkHTTPIssue -benchtime 20000x ./issuer/
func BenchmarkHTTPIssue(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	input := make([]byte, 900)
	b.Run("raw/ed25519-sign", func(b *testing.B) {
		cpu0, start := benchutil.CPUTime(), time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = ed25519.Sign(priv, input)
			}
		})
		benchutil.ReportRates(b, start, cpu0)
	})
	for _, f := range []struct{ name, body string }{
		{"vc+jwt", `{"type":"BusinessRegistration","credentialSubject":{"uen":"201912345K","legalName":"Lion City Robotics Pte. Ltd.","registeredAddress":"1 Fusionopolis Way, Singapore 138632","incorporationDate":"2019-04-01","entityType":"Private Company Limited by Shares"}}`},
		{"dc+sd-jwt", `{"type":"PersonIdentity","credentialSubject":{"givenName":"Mei Ling","familyName":"Chan","birthDate":"1990-02-03","nationality":"HK"}}`},
		{"jwt_vc_json", `{"type":"BusinessRegistration","format":"jwt_vc_json","credentialSubject":{"uen":"201912345K","legalName":"Lion City Robotics Pte. Ltd.","registeredAddress":"1 Fusionopolis Way, Singapore 138632","incorporationDate":"2019-04-01","entityType":"Private Company Limited by Shares"}}`},
		{"ldp_vc", `{"type":"BusinessRegistration","format":"ldp_vc","credentialSubject":{"uen":"201912345K","legalName":"Lion City Robotics Pte. Ltd.","registeredAddress":"1 Fusionopolis Way, Singapore 138632","incorporationDate":"2019-04-01","entityType":"Private Company Limited by Shares"}}`},
	} {
		b.Run("http/"+f.name, func(b *testing.B) {
			e := start(b, nil) // default batching: 1024 writes / 2 ms
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 30 * time.Second}
			body := []byte(f.body)
			do := func() error {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/credentials/issue", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+e.token)
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					return &json.UnsupportedValueError{Str: resp.Status}
				}
				return nil
			}
			if err := do(); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(32) // 64 clients on 2 cores
			b.ResetTimer()
			cpu0, start := benchutil.CPUTime(), time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := do(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			benchutil.ReportRates(b, start, cpu0)
		})
	}
}

// BenchmarkStatusVisibility is the time from a revocation answered 200 over HTTP to a
// verifier (pkg/statuslist Fetcher, cold cache, resolving the did:web over HTTP) seeing the
// bit set in the re-signed list. A verifier with a warm cache sees it when the list's
// Cache-Control max-age (at most 60 s, StatusTTL/2) runs out.
//
//	go test -run '^$' -bench BenchmarkStatusVisibility -benchtime 200x ./issuer/
func BenchmarkStatusVisibility(b *testing.B) {
	e := start(b, nil)
	res := e.resolver()
	client := did.SafeHTTPClient(did.NetOptions{AllowHTTP: true, AllowHosts: []string{"127.0.0.1"}})
	ids := make([]string, b.N)
	for i := range ids {
		_, ids[i] = e.issue(b, map[string]any{"type": "BusinessRegistration", "credentialSubject": business})
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if code, out, _ := e.post(b, "/credentials/status", e.token, map[string]any{"credentialId": ids[i], "action": "revoke"}); code != 200 {
			b.Fatalf("revoke: %d %s", code, out)
		}
		st, _ := e.svc.Issuer().Status(ctx, ids[i])
		f, err := statuslist.NewFetcher(statuslist.FetcherOptions{Resolver: res, HTTPClient: client, Net: did.NetOptions{AllowHTTP: true, AllowHosts: []string{"127.0.0.1"}}})
		if err != nil {
			b.Fatal(err)
		}
		on, _, err := f.BitstringStatus(ctx, e.srv.URL+"/status/bitstring/revocation-1", "revocation", int(st.Status.Index))
		if err != nil || !on {
			b.Fatalf("revocation not visible: %v %v", on, err)
		}
	}
}
