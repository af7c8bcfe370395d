package verifier

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// StatusKind names the status list mechanism of a credential.
type StatusKind int

// Status list kinds.
const (
	// BitstringStatus is a W3C Bitstring Status List entry
	// (BitstringStatusListEntry, or the older StatusList2021Entry).
	BitstringStatus StatusKind = iota + 1
	// TokenStatus is an IETF Token Status List reference (SD-JWT VC).
	TokenStatus
)

// StatusRef points at one entry of a status list.
type StatusRef struct {
	Kind StatusKind
	// URL is the status list credential URL (Bitstring) or token URI.
	URL string
	// Index is the entry index.
	Index int
	// Purpose is the Bitstring statusPurpose (revocation, suspension,
	// message, ...); empty for a token status list.
	Purpose string
	// Issuer is the issuer of the credential that points at the list. The
	// Verifier sets it before each Lookup: a StatusFetcher must refuse a
	// list issued (signed) by anyone else, with an error wrapping
	// ErrStatusListIssuer.
	Issuer string
}

// StatusValue is the value of a status entry.
type StatusValue struct {
	// Value is the entry: for Bitstring lists 1 means set (revoked or
	// suspended per purpose); for token lists 0 valid, 1 invalid,
	// 2 suspended.
	Value uint8
	// Age is how old the copy of the list consulted is.
	Age time.Duration
	// Stale is true when the copy is past its expiry and was used only
	// because a refresh failed (statuslist.FetcherOptions.StaleIfError):
	// reported with a status_stale warning.
	Stale bool
}

// ErrStatusListIssuer is wrapped by a StatusFetcher's error when the status
// list is not issued by the credential's own issuer (StatusRef.Issuer). The
// credential then fails with status_list_issuer_mismatch whatever the
// StatusFailMode: a list signed by someone else is refused, never read.
var ErrStatusListIssuer = errors.New("verifier: status list not issued by the credential issuer")

// StatusFetcher looks up status entries. Implementations cache decoded
// lists for a bounded time so that a lookup is a bit test. See
// StatusLists for the adapter over pkg/statuslist.
type StatusFetcher interface {
	Lookup(ctx context.Context, ref StatusRef) (StatusValue, error)
}

// maxStatusEntries bounds the status entries of one credential.
const maxStatusEntries = 8

// statusRefs reads credentialStatus entries of a W3C credential.
func statusRefs(entries []map[string]any) ([]StatusRef, error) {
	if len(entries) > maxStatusEntries {
		return nil, fmt.Errorf("%d credentialStatus entries, at most %d", len(entries), maxStatusEntries)
	}
	var out []StatusRef
	for i, e := range entries {
		typ, _ := e["type"].(string)
		switch typ {
		case "BitstringStatusListEntry", "StatusList2021Entry":
		default:
			return nil, fmt.Errorf("credentialStatus[%d]: unsupported type %q", i, typ)
		}
		u, _ := e["statusListCredential"].(string)
		purpose, _ := e["statusPurpose"].(string)
		var idx int
		switch x := e["statusListIndex"].(type) {
		case string:
			n, err := strconv.Atoi(x)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("credentialStatus[%d]: bad statusListIndex %q", i, x)
			}
			idx = n
		case float64:
			if x < 0 || x != float64(int(x)) {
				return nil, fmt.Errorf("credentialStatus[%d]: bad statusListIndex", i)
			}
			idx = int(x)
		default:
			return nil, fmt.Errorf("credentialStatus[%d]: missing statusListIndex", i)
		}
		if u == "" || purpose == "" {
			return nil, fmt.Errorf("credentialStatus[%d]: missing statusListCredential or statusPurpose", i)
		}
		out = append(out, StatusRef{Kind: BitstringStatus, URL: u, Index: idx, Purpose: purpose})
	}
	return out, nil
}

// checkStatus consults every status entry of c, reports each in
// Result.Statuses (Result.Status is the entry that decided: the first that
// failed, else the first) and fails on every entry that says so.
func (v *Verifier) checkStatus(ctx context.Context, c *credential, r *Result, p *Policy) {
	if len(c.status) == 0 {
		return
	}
	if v.status == nil {
		v.statusUnavailable(r, p, "no status fetcher configured")
		return
	}
	var stale []string
	decided, warned := -1, false
	if len(c.status) == 1 {
		r.Statuses = r.statusBuf[:0]
	} else {
		r.Statuses = make([]StatusInfo, 0, len(c.status))
	}
	for _, ref := range c.status {
		// The list must be the credential issuer's own: the fetcher
		// compares the list's issuer with this one.
		ref.Issuer = c.issuer
		purpose := ref.Purpose
		if ref.Kind == TokenStatus {
			purpose = "token"
		}
		info := StatusInfo{Purpose: purpose, List: ref.URL}
		failed := false
		val, err := v.status.Lookup(ctx, ref)
		switch {
		case errors.Is(err, ErrStatusListIssuer):
			r.fail(CheckStatus, CodeStatusListIssuerMismatch, "status list "+ref.URL+": "+err.Error())
			failed = true
		case err != nil:
			failed = !v.statusUnavailable(r, p, "status list "+ref.URL+": "+err.Error())
			warned = warned || !failed
		default:
			info.Checked, info.Value, info.CacheAge, info.Stale = true, val.Value, val.Age, val.Stale
			if val.Stale {
				stale = append(stale, ref.URL)
			}
			failed = v.statusValue(r, ref, val.Value)
		}
		r.Statuses = append(r.Statuses, info)
		if failed && decided < 0 {
			decided = len(r.Statuses) - 1
		}
	}
	r.Status = decidingStatus(r.Statuses, decided)
	switch {
	case decided >= 0 || warned:
	case len(stale) > 0:
		r.warn(CheckStatus, CodeStatusStale, fmt.Sprintf("status read from a cached copy past its expiry (refresh failed): %v", stale))
	default:
		r.pass(CheckStatus)
	}
}

// decidingStatus returns the entry that decided (index decided, or the
// first entry) when its list was read, else the first entry read, else nil:
// Result.Status never describes a list that was not consulted.
func decidingStatus(infos []StatusInfo, decided int) *StatusInfo {
	if decided >= 0 && infos[decided].Checked {
		return &infos[decided]
	}
	if decided < 0 {
		for i := range infos {
			if infos[i].Checked {
				return &infos[i]
			}
		}
	}
	return nil
}

// statusValue fails r when the value of entry ref revokes or suspends the
// credential, and reports whether it did. Other Bitstring purposes
// (message, ...) carry information, not validity.
func (v *Verifier) statusValue(r *Result, ref StatusRef, val uint8) bool {
	switch {
	case val == 0:
		return false
	case ref.Kind == TokenStatus && val == 2, ref.Kind == BitstringStatus && ref.Purpose == "suspension":
		r.fail(CheckStatus, CodeSuspended, "credential is suspended ("+ref.URL+" #"+strconv.Itoa(ref.Index)+")")
	case ref.Kind == TokenStatus && val == 1, ref.Kind == BitstringStatus && ref.Purpose == "revocation":
		r.fail(CheckStatus, CodeRevoked, "credential is revoked ("+ref.URL+" #"+strconv.Itoa(ref.Index)+")")
	case ref.Kind == TokenStatus:
		r.fail(CheckStatus, CodeRevoked, "credential has status "+strconv.Itoa(int(val))+" in its token status list")
	default:
		return false
	}
	return true
}

// statusUnavailable warns or fails per the policy and reports whether it
// only warned.
func (v *Verifier) statusUnavailable(r *Result, p *Policy, msg string) bool {
	if p.StatusFailMode == StatusWarn {
		r.warn(CheckStatus, CodeStatusUnavailable, msg)
		return true
	}
	r.fail(CheckStatus, CodeStatusUnavailable, msg)
	return false
}
