package openid4vp

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// Errors of a TransactionStore.
var (
	// ErrTransactionUnknown: no such transaction, or it expired.
	ErrTransactionUnknown = errs.New("openid4vp_transaction_unknown", "openid4vp: transaction unknown or expired")
	// ErrTransactionDone: the transaction was answered already; a second
	// response (a replay) changes nothing.
	ErrTransactionDone = errs.New("openid4vp_transaction_done", "openid4vp: transaction already answered")
)

// Transaction is a presentation request awaiting a wallet's answer, and
// the outcome once answered.
type Transaction struct {
	// ID is the transaction id (random, URL-safe).
	ID string `json:"id"`
	// Request is the presentation request.
	Request Request `json:"request"`
	// Options are the caller's per-transaction options (opaque to the
	// store: the HTTP service keeps its policy narrowing here).
	Options json.RawMessage `json:"options,omitempty"`
	// Done is true once a response was accepted as the answer.
	Done bool `json:"done"`
	// Result is the verification result (a verifier.Result as JSON) once done.
	Result json.RawMessage `json:"result,omitempty"`
	// Answered is when the answer was stored.
	Answered time.Time `json:"answered,omitzero"`
	// Owner is who created the transaction and alone may read its
	// outcome; zero for a transaction of the service's own API key.
	Owner Owner `json:"owner,omitzero"`
}

// Owner names the relying party (and its profile) that created a
// transaction. The store keeps it as given; the HTTP service answers a
// reader that is not the owner as if the transaction did not exist.
type Owner struct {
	// RelyingParty is the relying party's name (verifier/profiles).
	RelyingParty string `json:"relyingParty,omitempty"`
	// Profile is the profile the transaction was created under.
	Profile string `json:"profile,omitempty"`
}

// IsZero reports whether o names nobody (a transaction of the service's
// own API key).
func (o Owner) IsZero() bool { return o == Owner{} }

// Gone reports whether the transaction can no longer be read at now: a
// pending one once its request expired, an answered one the request's
// lifetime after its answer, so that the relying party has as long to
// read an answer given at the last moment as the wallet had to give it.
func (t *Transaction) Gone(now time.Time) bool {
	if !t.Done {
		return t.Request.Expired(now)
	}
	return !now.Before(t.Answered.Add(t.Request.Expires.Sub(t.Request.Created)))
}

// NewTransactionID returns a fresh transaction id (128 random bits).
func NewTransactionID() string { return random(16) }

// TransactionStore keeps transactions until they expire. verifier/storetest
// holds its conformance suite.
type TransactionStore interface {
	// Create stores a new pending transaction.
	Create(ctx context.Context, tx *Transaction) error
	// Get returns the transaction id at now: ErrTransactionUnknown when
	// there is none or it is Gone (its request expired before it was
	// answered, or it was answered longer than the request's lifetime ago).
	Get(ctx context.Context, id string, now time.Time) (*Transaction, error)
	// Complete records result as the answer of the pending transaction id
	// at now. Check and record are atomic: of concurrent completions
	// exactly one succeeds, the others get ErrTransactionDone. An unknown
	// or expired transaction is ErrTransactionUnknown. A refused
	// completion changes nothing.
	Complete(ctx context.Context, id string, result json.RawMessage, now time.Time) error
}

// MemoryTransactions is an in-memory TransactionStore.
type MemoryTransactions struct {
	mu  sync.Mutex
	txs map[string]Transaction
}

// NewMemoryTransactions returns an empty MemoryTransactions.
func NewMemoryTransactions() *MemoryTransactions {
	return &MemoryTransactions{txs: map[string]Transaction{}}
}

// Create implements TransactionStore.
func (m *MemoryTransactions) Create(_ context.Context, tx *Transaction) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.txs[tx.ID]; ok {
		return errs.New(ErrInvalidRequest.Code, "openid4vp: transaction id in use")
	}
	now := time.Now()
	for id, t := range m.txs { // drop expired ones as new ones come
		if t.Gone(now) {
			delete(m.txs, id)
		}
	}
	m.txs[tx.ID] = *tx
	return nil
}

// Get implements TransactionStore.
func (m *MemoryTransactions) Get(_ context.Context, id string, now time.Time) (*Transaction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.txs[id]
	if !ok || t.Gone(now) {
		return nil, ErrTransactionUnknown
	}
	return &t, nil
}

// Complete implements TransactionStore.
func (m *MemoryTransactions) Complete(_ context.Context, id string, result json.RawMessage, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.txs[id]
	switch {
	case !ok || t.Gone(now):
		return ErrTransactionUnknown
	case t.Done:
		return ErrTransactionDone
	}
	t.Done, t.Result, t.Answered = true, append(json.RawMessage(nil), result...), now.UTC()
	m.txs[id] = t
	return nil
}
