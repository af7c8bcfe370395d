// Package openapicoverage holds the test that keeps docs/openapi.yaml and the services in step:
// it builds the trust registry, issuer and verifier handlers exactly as the idport binary does,
// reads the routes their gin engines register, and compares them with the operations of
// docs/openapi.yaml, per service and in both directions.
//
//	go test ./examples/openapi-coverage
package openapicoverage
