// Package openid4vci is the issuer side of OpenID for Verifiable Credential Issuance 1.0
// (OpenID4VCI) in plain Go: Credential Issuer and OAuth Authorization Server metadata built from
// the issuer's credential types, credential offers (by value and by reference, as deep links and
// QR codes), the pre-authorized code grant with an optional transaction code, access tokens,
// c_nonce values, key proofs (jwt proof type), batch issuance and notifications.
//
// It issues nothing itself: every credential comes from the issuance engine (package issuer)
// through Issuer.Issue, exactly as POST /credentials/issue does, with the same types, keys,
// status entries and issuance records. Protocol state (offers, pre-authorized codes, access
// tokens, the c_nonces used) lives behind the small Store interface: issuer/boltstore keeps it
// in the issuer's bbolt file, issuer/etcdstore in etcd, NewMemStore in memory for tests. Every
// single-use rule (a pre-authorized code, a c_nonce, a credential configuration per access
// token) is enforced inside one store transaction.
//
// A c_nonce is stateless until used: it carries its expiry and random bytes under an
// HMAC-SHA256 tag keyed from the issuer's key secret (issuer.Issuer.DerivedKey), so the
// unauthenticated nonce endpoint writes nothing, and a forged or expired c_nonce is refused
// before the store is read. The credential request that uses a valid one records it as used
// until it expires, in the transaction that reserves the configuration.
//
// Errors carry pkg/errs codes; the codes of the OAuth-style endpoints (token, credential,
// notification) are the OAuth 2.0 / OpenID4VCI error strings themselves (invalid_grant,
// invalid_proof, invalid_nonce, ...), so issuer/httpapi renders them as the OAuth error body
// {"error", "error_description"} that wallets expect. The package knows no HTTP status.
package openid4vci
