package oa

import (
	"encoding/hex"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// testKeyHex is a fixed secp256k1 test key (never used outside tests).
const testKeyHex = "0123456789012345678901234567890123456789012345678901234567890123"

func testKey() *secp256k1.PrivateKey {
	b, _ := hex.DecodeString(testKeyHex)
	return secp256k1.PrivKeyFromBytes(b)
}

func otherKey() *secp256k1.PrivateKey {
	b, _ := hex.DecodeString("1111111111111111111111111111111111111111111111111111111111111111")
	return secp256k1.PrivKeyFromBytes(b)
}

// invoiceData returns the data of a small invoice issued by domain with key.
func invoiceData(domain, key string) map[string]any {
	return map[string]any{
		"$template": map[string]any{"name": "INVOICE", "type": "EMBEDDED_RENDERER", "url": "https://renderer.example.sg"},
		"id":        "INV-2026-0042",
		"date":      "2026-03-01",
		"billFrom":  map[string]any{"name": "Merlion Trading Pte. Ltd.", "uen": "201912345K", "peppolId": "0195:SGUEN201912345K"},
		"billTo":    map[string]any{"name": "Lingang Components Co., Ltd.", "note": "quote \"x\" <tag> & \u2028 \n\t tab ünï 中文"},
		"items": []any{
			map[string]any{"description": "Servo motors", "quantity": 3, "unitPrice": 120.5},
			map[string]any{"description": "Cables", "quantity": 10, "unitPrice": 2},
		},
		"subtotal": 381.5,
		"paid":     false,
		"extra":    nil,
		"empty":    map[string]any{},
		"issuers": []any{map[string]any{
			"name":          "Merlion Trading Pte. Ltd.",
			"revocation":    map[string]any{"type": "NONE"},
			"identityProof": map[string]any{"type": "DNS-DID", "location": domain, "key": key},
		}},
	}
}
