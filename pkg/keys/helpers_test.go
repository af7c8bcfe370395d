package keys

import (
	"crypto"
	"encoding/base64"
)

const cryptoSHA256 = crypto.SHA256

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
