package vcld

import (
	"container/list"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// The proof cache remembers credentials whose proofs verified: a holder
// presents the same credential in many presentations (each with its own
// challenge, so the presentation proof is always checked). A verdict is
// keyed by the SHA-256 of the credential's canonical JSON (proofs
// included) and of every proof's verification method and resolved key:
// the same JSON canonicalises to the same N-Quads under the processor's
// fixed contexts, and the same keys give the same signature verdicts. Keys
// are still resolved on every call (a rotated or revoked key is a new
// cache key or a resolution failure), and everything outside the proofs'
// cryptography is still checked every time: the shape of each proof, its
// purpose, expiry and controller, and, by the caller, validity times,
// status and trust. Only successes are cached. The cache is bounded (least
// recently used entries are dropped) and off unless Options.ProofCacheSize
// is set.

// proofCache is a bounded set of verified proof-set keys, least recently
// used first out.
type proofCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of [32]byte, most recently used at the front
	at    map[[32]byte]*list.Element
	hits  atomic.Int64
}

func newProofCache(size int) *proofCache {
	if size <= 0 {
		return nil
	}
	return &proofCache{max: size, order: list.New(), at: make(map[[32]byte]*list.Element, size)}
}

func (c *proofCache) has(k [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.at[k]
	if ok {
		c.order.MoveToFront(e)
		c.hits.Add(1)
	}
	return ok
}

func (c *proofCache) add(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.at[k]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.at[k] = c.order.PushFront(k)
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.at, last.Value.([32]byte))
	}
}

// proofCacheKey hashes a secured document's canonical JSON with each
// proof's verification method and resolved key, every part length-prefixed.
func proofCacheKey(doc []byte, ps []parsedProof, keys []ed25519.PublicKey) [32]byte {
	h := sha256.New()
	part := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	part(doc)
	for i, pp := range ps {
		part([]byte(pp.info.VerificationMethod))
		part(keys[i])
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}
