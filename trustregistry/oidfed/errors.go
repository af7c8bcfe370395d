package oidfed

import "github.com/idport/idport/pkg/errs"

// Stable error codes of chain resolution. The registry's HTTP layer maps each to a status.
const (
	// CodeFetchFailed: a statement could not be fetched (network, HTTP status, size).
	CodeFetchFailed errs.Code = "federation_fetch_failed"
	// CodeStatementInvalid: a statement is malformed, badly typed, badly signed or uses an
	// algorithm outside the allow-list.
	CodeStatementInvalid errs.Code = "federation_statement_invalid"
	// CodeChainBroken: iss/sub do not chain, or no authority hint leads to the trust anchor.
	CodeChainBroken errs.Code = "federation_chain_broken"
	// CodeStatementExpired: a statement of the chain is expired (or not yet valid).
	CodeStatementExpired errs.Code = "federation_statement_expired"
	// CodeChainLoop: an entity appears twice on the way to the anchor.
	CodeChainLoop errs.Code = "federation_chain_loop"
	// CodeChainTooLong: the chain is longer than the limit (MaxChainLength statements).
	CodeChainTooLong errs.Code = "federation_chain_too_long"
	// CodePolicyViolation: the leaf's metadata breaks the chain's metadata policy, or the
	// policies of the chain conflict.
	CodePolicyViolation errs.Code = "federation_policy_violation"
	// CodeTrustMarkInvalid: a required trust mark is missing, expired, badly signed or from an
	// issuer the anchor does not list in trust_mark_issuers.
	CodeTrustMarkInvalid errs.Code = "federation_trust_mark_invalid"
)

// Sentinels: errors.Is(err, ErrX) holds for every error with X's code.
var (
	ErrFetchFailed      = errs.New(CodeFetchFailed, "a federation statement could not be fetched")
	ErrStatementInvalid = errs.New(CodeStatementInvalid, "invalid federation statement")
	ErrChainBroken      = errs.New(CodeChainBroken, "the trust chain does not reach the trust anchor")
	ErrStatementExpired = errs.New(CodeStatementExpired, "a federation statement is expired")
	ErrChainLoop        = errs.New(CodeChainLoop, "the trust chain loops")
	ErrChainTooLong     = errs.New(CodeChainTooLong, "the trust chain is too long")
	ErrPolicyViolation  = errs.New(CodePolicyViolation, "metadata policy violation")
	ErrTrustMarkInvalid = errs.New(CodeTrustMarkInvalid, "trust mark not accepted")
)

// Codes lists every code of the package (for the HTTP status table and its test).
var Codes = []errs.Code{CodeFetchFailed, CodeStatementInvalid, CodeChainBroken, CodeStatementExpired,
	CodeChainLoop, CodeChainTooLong, CodePolicyViolation, CodeTrustMarkInvalid}

func fail(code errs.Code, format string, args ...any) error {
	return errs.Errorf(code, format, args...)
}

// messageOf returns the public message of a coded error.
func messageOf(err error) string {
	if e := errs.As(err); e != nil {
		return e.Message
	}
	return err.Error()
}

func codeOf(err error) errs.Code { return errs.CodeOf(err) }
