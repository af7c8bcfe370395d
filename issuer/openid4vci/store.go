package openid4vci

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/errs"
)

// OfferRecord is the protocol state of one credential offer: what it offers to whom, its
// pre-authorized code and transaction code (as SHA-256 hashes only), the access token issued
// for it (hash only), and what was issued under that token. Subject holds the subject claims
// until every offered configuration is issued; then it is cleared.
type OfferRecord struct {
	// ID is the offer id, the last segment of its credential_offer_uri.
	ID string `json:"id"`
	// CodeHash is the base64url SHA-256 of the pre-authorized code.
	CodeHash string `json:"codeHash"`
	// TxCodeHash is the base64url SHA-256 of the transaction code; empty means none.
	TxCodeHash string `json:"txCodeHash,omitempty"`
	// TxCode describes the transaction code to the wallet (nil: none).
	TxCode *TxCode `json:"txCode,omitempty"`
	// TxFailures counts wrong transaction codes; at MaxTxFailures the code is locked.
	TxFailures int `json:"txFailures,omitempty"`
	// Type is the credential type.
	Type string `json:"type"`
	// Subject holds the subject claims (cleared once everything offered is issued).
	Subject map[string]any `json:"subject,omitempty"`
	// Configurations are the offered credential configuration ids.
	Configurations []string `json:"configurations"`
	// Client is the principal of the API key that made the offer (issuer.Client.Owner): the
	// credentials issued for the offer are recorded under it, so that the key, and every key
	// rotated from its client's, manages them.
	Client string `json:"client,omitempty"`
	// Key is the id of the API key that made the offer: once it is revoked or expired, the
	// offer yields neither an access token nor a credential ("" for an in-process offer).
	Key string `json:"key,omitempty"`
	// Created and Expires bound the offer and its pre-authorized code.
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Redeemed is set when the pre-authorized code was exchanged for an access token.
	Redeemed bool `json:"redeemed,omitempty"`
	// TokenHash is the base64url SHA-256 of the access token; TokenExpires its end.
	TokenHash    string    `json:"tokenHash,omitempty"`
	TokenExpires time.Time `json:"tokenExpires,omitzero"`
	// Issued counts the credentials issued per configuration under the access token.
	Issued map[string]int `json:"issued,omitempty"`
	// Notifications maps each notification_id handed out to the last event received for it
	// ("" until the wallet notifies).
	Notifications map[string]string `json:"notifications,omitempty"`
	// Credentials are the ids of the credentials issued for the offer (issuance records).
	Credentials []string `json:"credentials,omitempty"`
	// Object is the credential offer object served at the offer's credential_offer_uri until
	// the code is redeemed; it holds the pre-authorized code, so it is cleared on redemption.
	Object json.RawMessage `json:"object,omitempty"`
}

// TxCode describes a transaction code to the wallet (OpenID4VCI tx_code).
type TxCode struct {
	// InputMode is "numeric" or "text".
	InputMode string `json:"input_mode,omitempty"`
	// Length is the number of characters.
	Length int `json:"length,omitempty"`
	// Description tells the user where to find the code.
	Description string `json:"description,omitempty"`
}

// LookupKind names the index an OfferRecord is found by.
type LookupKind uint8

// Lookup kinds.
const (
	// ByID finds an offer by its id.
	ByID LookupKind = iota
	// ByCode finds an offer by the hash of its pre-authorized code.
	ByCode
	// ByToken finds an offer by the hash of its access token.
	ByToken
)

// Lookup finds one offer: by id, pre-authorized code hash or access token hash.
type Lookup struct {
	Kind  LookupKind
	Value string
}

// UpdateFunc changes an offer inside a store transaction. The store writes rec when save is
// true, even when err is not nil (a wrong transaction code is counted and refused at once);
// the transaction's nonce is consumed only when err is nil. It may run more than once.
type UpdateFunc func(rec *OfferRecord) (save bool, err error)

// Store keeps the protocol state. Every method is durable when it returns nil, and safe for
// concurrent use. issuer/boltstore implements it in the issuer's bbolt file.
type Store interface {
	// PutOffer stores a new offer and indexes its code hash.
	PutOffer(ctx context.Context, rec *OfferRecord) error
	// Offer returns the offer found by l, or ErrOfferNotFound.
	Offer(ctx context.Context, l Lookup) (*OfferRecord, error)
	// UpdateOffer runs fn on the offer found by l in one transaction (ErrOfferNotFound when
	// there is none). When nonce is not the zero Nonce and fn returns no error, the nonce is
	// consumed in the same transaction: it is recorded as used until nonce.Expires, and a
	// nonce already recorded, or expired at now, fails the update with ErrInvalidNonce and
	// nothing changes. The store never sees a nonce the Service has not checked (MAC and
	// expiry), so only a wallet's genuine credential request writes a nonce record. A new
	// TokenHash is indexed.
	UpdateOffer(ctx context.Context, l Lookup, nonce Nonce, now time.Time, fn UpdateFunc) error
	// Purge deletes offers whose code and token both expired before now, and the records of
	// used nonces that expired.
	Purge(ctx context.Context, now time.Time) (int, error)
}

// RecordingStore is a Store that keeps the issuer engine's records too (issuer/boltstore: one
// bbolt file). UpdateOfferRecording is UpdateOffer that also logs recs as issuer.Store.Record
// does, in the same transaction and only when fn returns no error (and the nonce is consumed):
// a credential request then reserves its configuration, consumes its c_nonce and logs its
// credentials in one durable transaction. A record refused (a status index taken) fails the
// whole update and nothing changes.
type RecordingStore interface {
	Store
	UpdateOfferRecording(ctx context.Context, l Lookup, nonce Nonce, now time.Time, fn UpdateFunc, recs []issuer.IssueRecord) error
}

// MemStore is a Store in memory (tests, and an issuer whose engine Store keeps no OpenID4VCI
// state). It copies records in and out, as a persistent store would.
type MemStore struct {
	mu     sync.Mutex
	offers map[string][]byte
	codes  map[string]string
	tokens map[string]string
	// used maps the nonces consumed to their expiries.
	used map[string]time.Time
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{offers: map[string][]byte{}, codes: map[string]string{}, tokens: map[string]string{},
		used: map[string]time.Time{}}
}

var _ Store = (*MemStore)(nil)

// PutOffer implements Store.
func (m *MemStore) PutOffer(_ context.Context, rec *OfferRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return errs.Wrap(issuer.CodeStore, "store failed: encoding offer", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.offers[rec.ID] = b
	m.codes[rec.CodeHash] = rec.ID
	return nil
}

func (m *MemStore) find(l Lookup) (*OfferRecord, error) {
	id := l.Value
	switch l.Kind {
	case ByCode:
		id = m.codes[l.Value]
	case ByToken:
		id = m.tokens[l.Value]
	}
	b, ok := m.offers[id]
	if !ok || id == "" {
		return nil, ErrOfferNotFound
	}
	var rec OfferRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, errs.Wrap(issuer.CodeStore, "store failed: decoding offer", err)
	}
	return &rec, nil
}

// Offer implements Store.
func (m *MemStore) Offer(_ context.Context, l Lookup) (*OfferRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.find(l)
}

// UpdateOffer implements Store.
func (m *MemStore) UpdateOffer(_ context.Context, l Lookup, nonce Nonce, now time.Time, fn UpdateFunc) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.find(l)
	if err != nil {
		return err
	}
	save, ferr := fn(rec)
	if ferr == nil && nonce.Value != "" {
		if _, used := m.used[nonce.Value]; used || !now.Before(nonce.Expires) {
			return errBadNonce()
		}
		m.used[nonce.Value] = nonce.Expires
	}
	if save {
		b, err := json.Marshal(rec)
		if err != nil {
			return errs.Wrap(issuer.CodeStore, "store failed: encoding offer", err)
		}
		m.offers[rec.ID] = b
		if rec.TokenHash != "" {
			m.tokens[rec.TokenHash] = rec.ID
		}
	}
	return ferr
}

// Purge implements Store.
func (m *MemStore) Purge(_ context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, b := range m.offers {
		var rec OfferRecord
		if json.Unmarshal(b, &rec) == nil && !Live(&rec, now) {
			delete(m.offers, id)
			delete(m.codes, rec.CodeHash)
			delete(m.tokens, rec.TokenHash)
			n++
		}
	}
	for k, exp := range m.used {
		if !now.Before(exp) {
			delete(m.used, k)
			n++
		}
	}
	return n, nil
}

// Live reports whether an offer is still of use at now: its code or its access token has not
// expired.
func Live(rec *OfferRecord, now time.Time) bool {
	return now.Before(rec.Expires) || now.Before(rec.TokenExpires)
}
