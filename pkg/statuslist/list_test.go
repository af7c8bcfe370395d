package statuslist

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// specEmptyList is the encodedList of the Bitstring Status List v1.0
// example credential: 131,072 zero bits.
const specEmptyList = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"

func TestBitstringSpecVector(t *testing.T) {
	b, err := DecodeBitstring(specEmptyList)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != MinEntries {
		t.Fatalf("Len = %d", b.Len())
	}
	for i := 0; i < b.Len(); i++ {
		if v, _ := b.Get(i); v {
			t.Fatalf("bit %d set", i)
		}
	}
}

// TestBitstringBitOrder checks that index 0 is the most significant bit of
// the first byte, as the Bitstring Status List specification requires.
func TestBitstringBitOrder(t *testing.T) {
	tests := []struct {
		set   []int
		first []byte
	}{
		{[]int{0}, []byte{0x80, 0}},
		{[]int{7}, []byte{0x01, 0}},
		{[]int{8}, []byte{0, 0x80}},
		{[]int{0, 1, 6, 9, 15}, []byte{0xC2, 0x41}},
	}
	for _, tt := range tests {
		b, _ := NewBitstring(MinEntries)
		for _, i := range tt.set {
			if err := b.Set(i, true); err != nil {
				t.Fatal(err)
			}
		}
		if got := b.Bytes()[:2]; !bytes.Equal(got, tt.first) {
			t.Errorf("set %v: bytes %x, want %x", tt.set, got, tt.first)
		}
		enc, err := b.Encode()
		if err != nil || !strings.HasPrefix(enc, "uH4sI") {
			t.Fatalf("Encode = %q %v", enc, err)
		}
		d, err := DecodeBitstring(enc)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range tt.set {
			if v, _ := d.Get(i); !v {
				t.Errorf("decoded bit %d not set", i)
			}
			if err := d.Set(i, false); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(d.Bytes(), make([]byte, MinEntries/8)) {
			t.Errorf("clearing the set bits left others")
		}
	}
}

func TestBitstringBounds(t *testing.T) {
	if _, err := NewBitstring(MinEntries - 1); err == nil {
		t.Error("NewBitstring below minimum accepted")
	}
	b, _ := NewBitstring(MinEntries + 3) // rounds up to a byte
	if b.Len() != MinEntries+8 {
		t.Errorf("Len = %d", b.Len())
	}
	for _, i := range []int{-1, b.Len(), 1 << 40} {
		if _, err := b.Get(i); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("Get(%d) err = %v", i, err)
		}
		if err := b.Set(i, true); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("Set(%d) err = %v", i, err)
		}
	}
}

func gz(t testing.TB, raw []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(raw)
	w.Close()
	return buf.Bytes()
}

func zl(t testing.TB, raw []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(raw)
	w.Close()
	return buf.Bytes()
}

func TestDecodeBitstringRejects(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	bomb := enc(gz(t, make([]byte, MaxListBytes+1)))
	short := enc(gz(t, make([]byte, MinEntries/8-1)))
	ok := enc(gz(t, make([]byte, MinEntries/8)))
	tests := map[string]string{
		"no prefix":      ok,
		"base58 prefix":  "z" + ok,
		"not base64":     "u!!!!",
		"not gzip":       "u" + enc([]byte("hello world, not gzip")),
		"zlib not gzip":  "u" + enc(zl(t, make([]byte, MinEntries/8))),
		"too short":      "u" + short,
		"gzip bomb":      "u" + bomb,
		"truncated gzip": "u" + ok[:len(ok)-8],
		"empty":          "",
		"only prefix":    "u",
	}
	for name, s := range tests {
		if _, err := DecodeBitstring(s); !errors.Is(err, ErrInvalidList) {
			t.Errorf("%s: err = %v, want ErrInvalidList", name, err)
		}
	}
	// Padding is tolerated.
	if _, err := DecodeBitstring("u" + base64.URLEncoding.EncodeToString(gz(t, make([]byte, MinEntries/8)))); err != nil {
		t.Errorf("padded: %v", err)
	}
}

// TestTokenListSpecVectors decodes the examples of
// draft-ietf-oauth-status-list (section 4.1): entry 0 in the least
// significant bits of the first byte.
func TestTokenListSpecVectors(t *testing.T) {
	tests := []struct {
		bits   int
		lst    string
		status []uint8
	}{
		{1, "eNrbuRgAAhcBXQ", []uint8{1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1}},
		{2, "eNo76fITAAPfAgc", []uint8{1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3}},
	}
	for _, tt := range tests {
		l, err := DecodeTokenList(tt.bits, tt.lst)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range tt.status {
			if got, _ := l.Get(i); got != want {
				t.Errorf("bits %d: status[%d] = %d, want %d", tt.bits, i, got, want)
			}
		}
		// Re-encoding the same statuses gives the same bytes.
		m := &TokenList{bits: tt.bits, lst: make([]byte, len(l.lst))}
		for i, s := range tt.status {
			if err := m.Set(i, s); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(m.lst, l.lst) {
			t.Errorf("bits %d: Set gives %x, want %x", tt.bits, m.lst, l.lst)
		}
	}
}

func TestTokenListRoundTrip(t *testing.T) {
	for _, bits := range []int{1, 2, 4, 8} {
		l, err := NewTokenList(MinEntries, bits)
		if err != nil {
			t.Fatal(err)
		}
		if l.Len() != MinEntries {
			t.Fatalf("Len = %d", l.Len())
		}
		max := uint8(1<<bits - 1)
		if bits == 8 {
			max = 255
		}
		idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 1000, MinEntries - 1}
		for k, i := range idx {
			if err := l.Set(i, uint8(k)%max+1); err != nil {
				t.Fatal(err)
			}
		}
		if bits < 8 {
			if err := l.Set(0, max+1); err == nil {
				t.Errorf("bits %d: Set(%d) accepted", bits, max+1)
			}
		}
		enc, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeTokenList(bits, enc)
		if err != nil {
			t.Fatal(err)
		}
		for k, i := range idx {
			if got, _ := d.Get(i); got != uint8(k)%max+1 {
				t.Errorf("bits %d: status[%d] = %d", bits, i, got)
			}
		}
		if got, _ := d.Get(9); got != Valid {
			t.Errorf("bits %d: untouched entry = %d", bits, got)
		}
		if _, err := d.Get(d.Len()); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("bits %d: Get(Len) err = %v", bits, err)
		}
	}
	if _, err := NewTokenList(MinEntries, 3); err == nil {
		t.Error("bits 3 accepted")
	}
	if _, err := DecodeTokenList(3, "eNrbuRgAAhcBXQ"); !errors.Is(err, ErrInvalidList) {
		t.Errorf("decode bits 3: %v", err)
	}
	bomb := base64.RawURLEncoding.EncodeToString(zl(t, make([]byte, MaxListBytes+1)))
	if _, err := DecodeTokenList(1, bomb); !errors.Is(err, ErrInvalidList) {
		t.Errorf("zlib bomb: %v", err)
	}
}

func TestPickIndex(t *testing.T) {
	const size = 1000
	s := NewIndexSet(size)
	for range size {
		if _, err := s.Allocate(); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != size {
		t.Fatalf("Len = %d", s.Len())
	}
	for i := range size {
		if !s.Has(i) {
			t.Fatalf("index %d never handed out", i)
		}
	}
	if _, err := s.Allocate(); !errors.Is(err, ErrListFull) {
		t.Fatalf("full set err = %v", err)
	}
	if _, err := PickIndex(size, s.Has); !errors.Is(err, ErrListFull) {
		t.Fatalf("PickIndex full err = %v", err)
	}
	r, err := IndexSetFromBytes(size, s.Bytes())
	if err != nil || r.Len() != size {
		t.Fatalf("restore = %v %v", r, err)
	}
	// Random, not sequential: the first 64 picks of a large list are not 0..63.
	big := NewIndexSet(MinEntries)
	seq := true
	for k := range 64 {
		i, _ := big.Allocate()
		seq = seq && i == k
	}
	if seq {
		t.Error("allocation looks sequential")
	}
}

// TestParseBitstringCredential reads the Bitstring Status List v1.0 example
// credential and a StatusList2021 credential whose encodedList has no
// multibase prefix.
func TestParseBitstringCredential(t *testing.T) {
	spec := `{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"https://example.com/credentials/status/3",
	"type":["VerifiableCredential","BitstringStatusListCredential"],"issuer":"did:example:12345","validFrom":"2021-04-05T14:27:40Z",
	"credentialSubject":{"id":"https://example.com/status/3#list","type":"BitstringStatusList","ttl":500,"statusPurpose":"revocation",
	"encodedList":"` + specEmptyList + `"}}`
	lc, err := ParseBitstringCredential([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	if lc.ID != "https://example.com/credentials/status/3" || lc.Issuer != "did:example:12345" || !lc.HasPurpose(PurposeRevocation) ||
		lc.TTL != 500*time.Millisecond || lc.List.Len() != MinEntries || lc.ValidFrom.IsZero() {
		t.Errorf("parsed %+v", lc)
	}
	legacy := `{"@context":["https://www.w3.org/2018/credentials/v1","https://w3id.org/vc/status-list/2021/v1"],
	"type":["VerifiableCredential","StatusList2021Credential"],"issuer":"did:example:1","issuanceDate":"2021-04-05T14:27:40Z",
	"credentialSubject":{"type":"StatusList2021","statusPurpose":["revocation","suspension"],"encodedList":"` + specEmptyList[1:] + `"}}`
	lc, err = ParseBitstringCredential([]byte(legacy))
	if err != nil || !lc.HasPurpose(PurposeSuspension) {
		t.Fatalf("legacy: %+v %v", lc, err)
	}
	for name, bad := range map[string]string{
		"not a list credential": strings.Replace(spec, `"BitstringStatusListCredential"`, `"Other"`, 1),
		"no purpose":            strings.Replace(spec, `"statusPurpose":"revocation",`, ``, 1),
		"negative ttl":          strings.Replace(spec, `"ttl":500`, `"ttl":-1`, 1),
		"no prefix (v1.0)":      strings.Replace(spec, `"encodedList":"u`, `"encodedList":"`, 1),
		"two subjects":          strings.Replace(strings.Replace(spec, `"credentialSubject":{`, `"credentialSubject":[{"id":"https://x.example"},{`, 1), `"}}`, `"}]}`, 1),
	} {
		_, err := ParseBitstringCredential([]byte(bad))
		if !errors.Is(err, ErrInvalidList) || strings.Contains(err.Error(), "malformed") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// The unsigned credential built for Data Integrity signing marshals
	// with a single subject object and parses back.
	list, _ := NewBitstring(MinEntries)
	list.Set(3, true)
	c, err := BitstringCredential(BitstringParams{Issuer: "did:example:1", ID: "https://example.com/l/1", Purpose: PurposeSuspension, List: list, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c)
	if !strings.Contains(string(b), `"credentialSubject":{`) {
		t.Errorf("subject is not an object: %s", b)
	}
	lc, err = ParseBitstringCredential(b)
	if err != nil || lc.TTL != time.Minute || !lc.HasPurpose(PurposeSuspension) {
		t.Fatalf("round trip: %+v %v", lc, err)
	}
	if v, _ := lc.List.Get(3); !v {
		t.Error("bit 3 lost")
	}
	if _, err := BitstringCredential(BitstringParams{Issuer: "did:example:1", ID: "https://example.com/l/1", Purpose: "message", List: list}); err == nil {
		t.Error("purpose message accepted")
	}
}

func TestBitstringValue(t *testing.T) {
	b, _ := NewBitstring(MinEntries)
	// Entry 1 of size 2 is bits 2 and 3: set bit 2 (the high bit) -> 0b10.
	b.Set(2, true)
	// Entry 1 of size 3 is bits 3..5; entry 0 of size 8 is the first byte.
	for _, c := range []struct{ index, size, want int }{
		{2, 1, 1}, {3, 1, 0}, {1, 2, 2}, {0, 2, 0}, {0, 3, 1}, {1, 3, 0}, {0, 8, 0x20}, {0, 4, 2},
	} {
		v, err := b.Value(c.index, c.size)
		if err != nil || int(v) != c.want {
			t.Errorf("Value(%d, %d) = %d %v, want %d", c.index, c.size, v, err, c.want)
		}
	}
	if _, err := b.Value(MinEntries/2, 2); !errors.Is(err, ErrIndexOutOfRange) {
		t.Errorf("out of range: %v", err)
	}
	if _, err := b.Value(0, 9); err == nil {
		t.Error("size 9 accepted")
	}
}
