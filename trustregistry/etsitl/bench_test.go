package etsitl

import (
	"crypto/x509"
	"testing"
)

// BenchmarkImport5000 measures an import of a 5,000-service list (500 providers of 10
// services): parse with the safety scan, verify the XAdES signature, map to a change set.
func BenchmarkImport5000(b *testing.B) {
	key := p256(b)
	cert := testCert(b, key, "bench signer")
	data := signed(b, sampleList(b, 5000), key, cert)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v, err := Verify(data, VerifyOptions{Pinned: []*x509.Certificate{cert}, Now: testNow})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Map(v, Selection{Scheme: "s", CredentialTypes: []string{"T"}, At: testNow}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
