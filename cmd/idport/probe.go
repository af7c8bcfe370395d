package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

const probeUsage = `probe checks a service's health endpoint and exits 0 only when it answers 200, for container
health checks in images without a shell or curl:

  idport probe --url http://127.0.0.1:8441/readyz
`

// runProbe GETs --url and fails unless the answer is 200.
func runProbe(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8441/readyz", "health URL to check (a service's /healthz or /readyz)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := parseCommand(fs, args, env, probeUsage); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe: %s answered %d: %s", *url, resp.StatusCode, body)
	}
	fmt.Fprintf(env.Stdout, "%s: %s\n", *url, body)
	return nil
}
