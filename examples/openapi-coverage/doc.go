// Package openapicoverage holds the tests that keep the docs and the code in step.
//
// The OpenAPI test builds the trust registry, issuer and verifier handlers as the idport binary
// does, reads the routes their gin engines register, and compares them with the operations of
// docs/openapi.yaml, per service and in both directions. A second test checks that
// docs/operator-guide.md's configuration reference names every flag cmd/idport declares.
//
//	go test ./examples/openapi-coverage
package openapicoverage
