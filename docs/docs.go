// Package docs holds idport's documentation; its Go side embeds the one OpenAPI description of
// all three services, so that each service serves the same file the docs publish.
package docs

import _ "embed"

// OpenAPI is the OpenAPI 3.1 description of the registry, issuer and verifier APIs
// (docs/openapi.yaml; each operation names its services in x-idport-services).
//
//go:embed openapi.yaml
var OpenAPI []byte
