// Package openapicoverage holds the tests that keep the docs and the code in step.
//
// The OpenAPI test builds the trust registry, issuer and verifier handlers as the idport binary
// does, reads the routes their gin engines register, and compares them with the operations of
// docs/openapi.yaml, per service and in both directions. The live test starts the three services
// (internal/stack), calls their main routes and validates every answer against the spec with
// kin-openapi's openapi3filter.ValidateResponse (JSON Schema 2020-12, as OpenAPI 3.1 says): the
// status must be documented for the operation, the media type for that status, and the body must
// match its schema; a mismatch names the operation and the JSON path in the body. A third test
// checks that docs/operator-guide.md's configuration reference names every flag cmd/idport
// declares. docs/openapi.yaml is also linted in CI with the Redocly CLI pinned in tools/openapi.
//
//	go test ./examples/openapi-coverage
package openapicoverage
