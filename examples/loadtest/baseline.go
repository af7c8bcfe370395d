package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/httpx"
)

// baselineDecode names the decode-only baseline in reports.
const baselineDecode = "decode-only"

// decodeOnly is the baseline of --baseline: the verifier's engine (pkg/httpx: request ids,
// body limit, access log on the same logger, metrics) with a POST /credentials/verify handler
// that only decodes the JSON body, as the verifier's handler does first, and answers 200 with a
// constant. The verifier's throughput over this one's is the price of verification itself.
func decodeOnly(logger *slog.Logger) http.Handler {
	e := httpx.NewEngine(httpx.Options{Name: "verifier", Logger: logger})
	e.POST("/credentials/verify", func(c *gin.Context) {
		var req struct {
			VerifiableCredential json.RawMessage `json:"verifiableCredential"`
			Options              map[string]any  `json:"options"`
		}
		if err := httpx.DecodeJSON(c, &req); err != nil {
			httpx.WriteError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"verified": true})
	})
	return e
}

// startCPUProfile writes a CPU profile of this process (the in-process services and the load)
// to path until the returned function is called.
func startCPUProfile(path string) (func() error, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		return nil
	}, nil
}

// writeAllocsProfile writes the process's heap allocation profile (every allocation since the
// start, sampled) to path.
func writeAllocsProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("memory profile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("memory profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("memory profile: %w", err)
	}
	return nil
}
