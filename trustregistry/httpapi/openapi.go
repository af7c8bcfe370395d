package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/docs"
)

// OpenAPI is the OpenAPI 3 description of idport's APIs (docs/openapi.yaml), served at
// GET /v1/openapi.yaml.
var OpenAPI = docs.OpenAPI

func serveOpenAPI(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", OpenAPI) }
