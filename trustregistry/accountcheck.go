package trustregistry

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/idport/idport/pkg/keys"
)

// Accounts prove themselves like registry objects: every account write that matters to
// governance (roles, disabled, token fingerprint and expiry, enrollers, passkeys: passkeys.go)
// is a governance change of the audit chain, whose After is the account as the write left it.
// An account the chain never wrote is one seeded in-process (Service.CreateAccount: tests, the
// demo stack), listed in a stored list signed with the registry key. The integrity check
// refuses any other account, and any account that differs from its last write: someone holding
// registry.db without the key secret can neither grant roles, nor swap a token, nor add an
// account, nor remove or add a passkey.

// secretSeeded names the signed list of accounts seeded in-process: a JSON array of compact JWS
// (typ seededAccountsType) over seededAccounts, one per registry key during a rotation.
const secretSeeded = "seeded-accounts"

// seededAccountsType is the JWS typ of the signed list of in-process seeded accounts.
const seededAccountsType = "idport-registry-seeded-accounts+jwt"

// seededAccounts maps each in-process seeded account to its audit view when it was created.
type seededAccounts struct {
	Accounts map[string]json.RawMessage `json:"accounts"`
}

// isAccountOp reports whether a governance change of kind op writes the account it names.
func isAccountOp(op OpKind) bool {
	switch op {
	case OpCreateAccount, OpSetAccountRoles, OpDisableAccount, OpResetAccountToken, OpRevokeAccountToken,
		OpResetAccountPasskeys, OpBootstrapAccount, OpRotateOwnToken, OpRevokeOwnToken, OpAddOwnPasskey, OpRemoveOwnPasskey:
		return true
	}
	return false
}

// readSeeded returns the stored list of seeded accounts: from the entry signed by pub, or, when
// pub is nil (an offline check without the key), from the newest entry unverified.
func readSeeded(ctx context.Context, st Store, pub crypto.PublicKey) (map[string]json.RawMessage, error) {
	blob, err := st.GetSecret(ctx, secretSeeded)
	if errors.Is(err, ErrNotFound) || (err == nil && len(blob) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var signed []string
	if err := json.Unmarshal(blob, &signed); err != nil || len(signed) == 0 {
		return nil, &IntegrityError{Reason: "the list of seeded accounts is unreadable"}
	}
	for i := len(signed) - 1; i >= 0; i-- {
		var payload []byte
		if pub != nil {
			if payload, _, err = VerifyJWS([]byte(signed[i]), seededAccountsType, pub); err != nil {
				continue
			}
		} else if payload, err = unverifiedPayload(signed[i]); err != nil {
			return nil, &IntegrityError{Reason: "the list of seeded accounts is unreadable"}
		}
		var sa seededAccounts
		if err := json.Unmarshal(payload, &sa); err != nil {
			return nil, &IntegrityError{Reason: "the list of seeded accounts is unreadable"}
		}
		return sa.Accounts, nil
	}
	return nil, &IntegrityError{Reason: "the list of seeded accounts is not signed by the registry key"}
}

func unverifiedPayload(compact string) ([]byte, error) {
	parts := bytes.Split([]byte(compact), []byte("."))
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrSnapshot)
	}
	return base64.RawURLEncoding.DecodeString(string(parts[1]))
}

// signSeeded stores the list signed with each of ks (the current key, and during a rotation
// the next one too).
func signSeeded(ctx context.Context, st Store, accounts map[string]json.RawMessage, ks ...*keys.Key) error {
	payload, err := json.Marshal(seededAccounts{Accounts: accounts})
	if err != nil {
		return err
	}
	var signed []string
	for _, k := range ks {
		jws, err := SignJWS(k, seededAccountsType, payload)
		if err != nil {
			return err
		}
		signed = append(signed, string(jws))
	}
	blob, err := json.Marshal(signed)
	if err != nil {
		return err
	}
	if err := st.PutSecret(ctx, secretSeeded, blob); err != nil {
		return fmt.Errorf("storing the list of seeded accounts: %w", err)
	}
	return nil
}

// seedLocked adds a to the signed list of in-process seeded accounts.
func (s *Service) seedLocked(ctx context.Context, a Account) error {
	k := s.key.Load()
	accounts, err := readSeeded(ctx, s.store, k.Public)
	if err != nil {
		return err
	}
	if accounts == nil {
		accounts = map[string]json.RawMessage{}
	}
	accounts[a.Name] = a.auditJSON()
	return signSeeded(ctx, s.store, accounts, k)
}

// resignSeededLocked signs the list of seeded accounts with the next key nk besides the
// current one, so that it proves itself whichever key the registry holds after a stop.
func (s *Service) resignSeededLocked(ctx context.Context, nk *keys.Key) error {
	accounts, err := readSeeded(ctx, s.store, s.key.Load().Public)
	if err != nil || accounts == nil {
		return err
	}
	return signSeeded(ctx, s.store, accounts, s.key.Load(), nk)
}

// checkStoredAccounts compares every stored account with its last write in the chain, or with
// the signed list of seeded accounts, and names the first that differs.
func checkStoredAccounts(ctx context.Context, st Store, cs *chainState, pub crypto.PublicKey) error {
	accounts, err := st.ListAccounts(ctx)
	if err != nil {
		return err
	}
	var seeded map[string]json.RawMessage
	seededRead := false
	for _, a := range accounts {
		obj := "account/" + a.Name
		w, ok := cs.accounts[a.Name]
		by := byRecord(w.seq)
		if !ok {
			if !seededRead {
				if seeded, err = readSeeded(ctx, st, pub); err != nil {
					return err
				}
				seededRead = true
			}
			w.after, ok = seeded[a.Name]
			by = "the signed list of seeded accounts"
		}
		if !ok {
			return unwrittenErr(obj, "created")
		}
		var want auditAccount
		if err := json.Unmarshal(w.after, &want); err != nil {
			return &IntegrityError{Object: obj, Reason: "its audit record is unreadable"}
		}
		if wb, _ := json.Marshal(want); bytes.Equal(wb, a.auditJSON()) {
			continue
		}
		if !slices.Equal(passkeyRefs(a.Passkeys), want.Passkeys) {
			return alteredErr(obj, "account", by, "its passkeys, the second factor, removed or added")
		}
		return alteredErr(obj, "account", by, "altered")
	}
	return nil
}
