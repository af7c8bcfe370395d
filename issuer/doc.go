// Package issuer is idport's issuer: businesses and authorities get W3C verifiable credentials
// here, in four formats (VC-JWT 1.1, VC-JOSE-COSE, SD-JWT VC, Data Integrity eddsa-rdfc-2022),
// signed with sealed, rotating keys under a did:web (or did:key / did:jwk) identity, each with a
// status entry in a Bitstring Status List (W3C formats) or a Token Status List (SD-JWT VC) that
// the issuer publishes and can revoke or suspend.
//
// This package is the engine in plain Go: credential types and their validation, the formats
// (composed from pkg/vcjwt and pkg/vcld), keys, status allocation and changes, status-list
// publication, API-key authentication, and the Store it persists to. It knows no HTTP.
// Around it:
//
//   - issuer/boltstore is the Store on one bbolt file (Open(path, opts)); it is also a
//     Backupper, so an online backup can be taken while the issuer keeps issuing;
//   - issuer/storetest is the conformance suite every Store passes;
//   - issuer/httpapi serves the engine over the VC-API (gin), maps every error code to an HTTP
//     status in one table, and wires engine, store and handler into a Service.
//
// Errors carry stable pkg/errs codes (the Code constants); errors.Is(err, ErrX) matches every
// error of ErrX's code.
//
//	st, err := boltstore.Open(filepath.Join(dir, boltstore.DBFile), boltstore.Options{})
//	is, err := issuer.New(ctx, issuer.Config{Store: st, BaseURL: url, Secret: secret})
//	cred, err := is.Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: claims})
package issuer
