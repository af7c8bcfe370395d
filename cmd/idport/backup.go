package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/idport/idport/pkg/boltkv"
)

// downloadBackup fetches an online backup (GET url with a bearer token) into the file out
// (see saveBackup).
func downloadBackup(ctx context.Context, env Env, url, token, out string, jsonOut bool) error {
	if out == "" {
		return errors.New("backup: --out FILE is required")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var p struct{ Title, Detail, Code string }
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(body, &p) != nil || p.Code == "" {
			return fmt.Errorf("backup: %s answered %s", url, resp.Status)
		}
		return fmt.Errorf("backup: %s answered %s: %s (%s)", url, resp.Status, p.Detail, p.Code)
	}
	return saveBackup(env, resp.Body, resp.ContentLength, resp.Header.Get(boltkv.HeaderReprDigest), out, jsonOut)
}

// saveBackup writes a backup being received into the file out: through a temporary file in its
// directory, checked against size (the Content-Length; -1 when unknown) and the Repr-Digest
// SHA-256 the service sent, opened and page-checked as a bbolt file, fsynced and only then
// renamed to out. A failed download leaves out as it was.
func saveBackup(env Env, body io.Reader, size int64, reprDigest, out string, jsonOut bool) error {
	want, err := boltkv.ParseReprDigest(reprDigest)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	partial := out + ".partial"
	info, err := boltkv.WriteFileAtomic(partial, func(w io.Writer) (int64, error) { return io.Copy(w, body) })
	if err != nil {
		return fmt.Errorf("backup: download: %w", err)
	}
	if err := checkBackup(partial, info, size, want); err != nil {
		os.Remove(partial)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(partial, out); err != nil {
		os.Remove(partial)
		return fmt.Errorf("backup: %w", err)
	}
	if jsonOut {
		return json.NewEncoder(env.Stdout).Encode(backupResult{File: out, Bytes: info.Size, SHA256: info.Hex()})
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %d bytes, sha256 %s (digest and bbolt pages checked)\n", out, info.Size, info.Hex())
	return nil
}

// backupResult is the --json output of the backup commands.
type backupResult struct {
	File   string `json:"file"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// checkBackup checks a downloaded backup against the announced size and digest, then opens it
// and checks every page.
func checkBackup(path string, info boltkv.BackupInfo, size int64, want [sha256.Size]byte) error {
	if size >= 0 && info.Size != size {
		return fmt.Errorf("got %d bytes, Content-Length said %d", info.Size, size)
	}
	if info.SHA256 != want {
		return fmt.Errorf("%w: sha256 %s, the service sent %s", boltkv.ErrDigestMismatch, info.Hex(), hex.EncodeToString(want[:]))
	}
	return boltkv.CheckFile(path)
}
