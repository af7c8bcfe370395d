package httpx

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// BodyLimit returns a route middleware that replaces the engine's body size limit with n bytes
// for the routes it guards (an upload route that needs more than the engine's default, say).
// ReadBody, DecodeJSON and DecodeJSONStrict then enforce n.
func BodyLimit(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if raw, ok := c.Get(rawBodyKey); ok {
			if rc, ok := raw.(io.ReadCloser); ok {
				c.Request.Body = http.MaxBytesReader(c.Writer, rc, n+1)
			}
		}
		c.Set(maxBodyKey, n)
		c.Next()
	}
}
