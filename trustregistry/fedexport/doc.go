// Package fedexport publishes the trust registry as an OpenID Federation 1.0 trust anchor, so
// that foreign federation consumers read the authorities the registry recognises with their own
// tools: the registry's entity configuration (Configuration, served at
// /.well-known/openid-federation), the list of its subordinates (List) and one subordinate
// statement per active authority (Fetch), all signed with the registry key.
//
// The subordinates are the authorities of the registry's local schemes (for reciprocity) and of
// the foreign schemes a local scheme recognises by a recognition in force, as in the ETSI trusted
// list (trustregistry/etsitl); only authorities active at the time of the request are listed
// and served. An authority's entity identifier is the https origin of its first did:web DID, or
// urn:idport:authority:<id> when it has none (or shares the origin with another authority).
// Statements carry the public JWKs the registry holds; keys pinned by thumbprint only cannot be
// exported and are named in the idport_authority metadata instead.
package fedexport
