package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestProbeFollowsReadiness(t *testing.T) {
	ready := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"ready"}`))
	}))
	defer srv.Close()
	env, _ := testEnv(nil)
	if err := run(context.Background(), []string{"probe", "--url", srv.URL + "/readyz"}, env); err == nil {
		t.Fatal("probe of an unready service must fail")
	}
	ready = true
	if err := run(context.Background(), []string{"probe", "--url", srv.URL + "/readyz"}, env); err != nil {
		t.Fatalf("probe of a ready service: %v", err)
	}
	if err := run(context.Background(), []string{"probe", "--url", "http://127.0.0.1:1/readyz"}, env); err == nil {
		t.Fatal("probe of a closed port must fail")
	}
}
