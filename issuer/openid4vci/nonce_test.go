package openid4vci

import (
	"bytes"
	"testing"
	"time"

	"github.com/idport/idport/pkg/errs"
)

func TestNonceCodec(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	c := nonceCodec{key: key, issuerID: "https://issuer.example"}
	now := time.Unix(1_800_000_000, 0)
	n := c.mint(now.Add(DefaultNonceTTL))
	if len(n) != nonceTextLen {
		t.Fatalf("c_nonce of %d characters, want %d", len(n), nonceTextLen)
	}
	got, err := c.check(n, now)
	if err != nil || got.Value != n || !got.Expires.Equal(now.Add(DefaultNonceTTL)) {
		t.Fatalf("check: %+v %v", got, err)
	}
	if c.mint(now.Add(DefaultNonceTTL)) == n {
		t.Fatal("two c_nonces alike")
	}
	refused := map[string]struct {
		c   nonceCodec
		now time.Time
	}{
		"another key, same issuer": {nonceCodec{key: bytes.Repeat([]byte{8}, 32), issuerID: c.issuerID}, now},
		"same key, another tenant": {nonceCodec{key: key, issuerID: "https://issuer.example/t/acme"}, now},
		"at its expiry":            {c, now.Add(DefaultNonceTTL)},
		"after its expiry":         {c, now.Add(time.Hour)},
	}
	for name, r := range refused {
		if _, err := r.c.check(n, r.now); errs.CodeOf(err) != CodeInvalidNonce {
			t.Errorf("%s: %v, want invalid_nonce", name, err)
		}
	}
}
