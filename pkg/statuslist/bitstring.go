// Package statuslist implements the two status list formats idport
// publishes and checks: the W3C Bitstring Status List (for W3C credential
// formats) and the IETF Token Status List (draft-ietf-oauth-status-list, for
// SD-JWT VC).
//
// Issuers build lists (NewBitstring, NewTokenList), allocate random, never
// reused indexes (Allocator), and publish signed lists
// (SignBitstringCredential, SignTokenList). Verifiers fetch, verify and cache
// decoded lists with a Fetcher, so that checking a status is a bit test.
//
// Decoders bound their work: compressed input, decompressed size and list
// length are all capped, so a gzip or zlib bomb costs at most MaxListBytes.
package statuslist

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MinEntries is the minimum number of entries of a list (131,072 = 16 KiB of
// one-bit entries), the herd-privacy floor of the Bitstring Status List.
const MinEntries = 131072

// MaxListBytes caps the decompressed size of any list this package decodes
// (4 MiB: 32 Mi one-bit entries).
const MaxListBytes = 4 << 20

// maxEncodedBytes caps the encoded (compressed, base64) input of a decoder.
const maxEncodedBytes = 8 << 20

// Sentinel errors.
var (
	// ErrInvalidList: a list, a list credential or a list token is malformed,
	// too large or too small, badly signed, expired, or not the list that was
	// asked for.
	ErrInvalidList = errors.New("statuslist: invalid status list")
	// ErrUnavailable: a list cannot be had right now (network error, timeout,
	// HTTP error, SSRF refusal). Verifiers report status_unavailable.
	ErrUnavailable = errors.New("statuslist: status list unavailable")
	// ErrIndexOutOfRange: a status index lies outside the list.
	ErrIndexOutOfRange = errors.New("statuslist: index out of range")
	// ErrListFull: the allocator has no unused index left.
	ErrListFull = errors.New("statuslist: no unused index left")
)

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidList, fmt.Sprintf(format, args...))
}

// Bitstring is a W3C Bitstring Status List of one-bit entries. Entry 0 is the
// most significant bit of the first byte. A Bitstring is not safe for
// concurrent mutation; concurrent Gets of a list nobody sets are safe.
type Bitstring struct {
	bits []byte
}

// NewBitstring returns a list of entries zero bits. entries is rounded up to
// a multiple of 8 and must be at least MinEntries.
func NewBitstring(entries int) (*Bitstring, error) {
	if entries < MinEntries {
		return nil, fmt.Errorf("statuslist: %d entries is below the minimum of %d", entries, MinEntries)
	}
	if entries > MaxListBytes*8 {
		return nil, fmt.Errorf("statuslist: %d entries is above the maximum of %d", entries, MaxListBytes*8)
	}
	return &Bitstring{bits: make([]byte, (entries+7)/8)}, nil
}

// Len returns the number of entries.
func (b *Bitstring) Len() int { return len(b.bits) * 8 }

// Get reports whether entry i is set.
func (b *Bitstring) Get(i int) (bool, error) {
	if uint(i) >= uint(len(b.bits))*8 {
		return false, fmt.Errorf("%w: %d of %d", ErrIndexOutOfRange, i, len(b.bits)*8)
	}
	return b.bits[i>>3]&(0x80>>(i&7)) != 0, nil
}

// Set sets or clears entry i.
func (b *Bitstring) Set(i int, v bool) error {
	if uint(i) >= uint(len(b.bits))*8 {
		return fmt.Errorf("%w: %d of %d", ErrIndexOutOfRange, i, len(b.bits)*8)
	}
	if v {
		b.bits[i>>3] |= 0x80 >> (i & 7)
	} else {
		b.bits[i>>3] &^= 0x80 >> (i & 7)
	}
	return nil
}

// Value reads the status of entry index in a list of entries of size bits
// (a BitstringStatusListEntry's statusSize, 1 to 8): bits index*size to
// index*size+size-1, most significant first. Value(i, 1) is Get(i) as 0/1.
func (b *Bitstring) Value(index, size int) (uint8, error) {
	if size < 1 || size > 8 {
		return 0, fmt.Errorf("statuslist: statusSize %d (want 1 to 8)", size)
	}
	n := len(b.bits) * 8 / size
	if uint(index) >= uint(n) {
		return 0, fmt.Errorf("%w: %d of %d entries of %d bits", ErrIndexOutOfRange, index, n, size)
	}
	var v uint8
	for bit := index * size; bit < index*size+size; bit++ {
		v = v<<1 | b.bits[bit>>3]>>(7-bit&7)&1
	}
	return v, nil
}

// Bytes returns a copy of the raw bitstring.
func (b *Bitstring) Bytes() []byte { return bytes.Clone(b.bits) }

// BitstringFromBytes returns a list over a copy of raw, which must hold at
// least MinEntries bits.
func BitstringFromBytes(raw []byte) (*Bitstring, error) {
	if len(raw)*8 < MinEntries || len(raw) > MaxListBytes {
		return nil, invalidf("bitstring of %d bytes (want %d to %d)", len(raw), MinEntries/8, MaxListBytes)
	}
	return &Bitstring{bits: bytes.Clone(raw)}, nil
}

// Encode returns the encodedList value: GZIP-compressed bitstring,
// base64url without padding, with the multibase prefix 'u'.
func (b *Bitstring) Encode() (string, error) {
	z, err := compress(b.bits, func(w io.Writer) (io.WriteCloser, error) {
		return gzip.NewWriterLevel(w, gzip.BestCompression)
	})
	if err != nil {
		return "", fmt.Errorf("statuslist: gzip: %w", err)
	}
	return "u" + base64.RawURLEncoding.EncodeToString(z), nil
}

// DecodeBitstring decodes an encodedList value: multibase 'u' base64url
// (padding tolerated) of a GZIP-compressed bitstring of at least MinEntries
// bits and at most MaxListBytes bytes.
func DecodeBitstring(s string) (*Bitstring, error) {
	if len(s) > maxEncodedBytes {
		return nil, invalidf("encodedList of %d bytes", len(s))
	}
	rest, ok := strings.CutPrefix(s, "u")
	if !ok {
		return nil, invalidf("encodedList lacks the multibase base64url prefix 'u'")
	}
	z, err := decodeB64URL(rest)
	if err != nil {
		return nil, invalidf("encodedList is not base64url: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, invalidf("encodedList is not GZIP: %v", err)
	}
	raw, err := readBounded(zr)
	if err != nil {
		return nil, invalidf("encodedList GZIP data: %v", err)
	}
	if len(raw)*8 < MinEntries {
		return nil, invalidf("bitstring has %d entries, below the minimum of %d", len(raw)*8, MinEntries)
	}
	return &Bitstring{bits: raw}, nil
}

// decodeB64URL decodes base64url with or without padding.
func decodeB64URL(s string) ([]byte, error) {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// readBounded reads a decompressor to the end, failing beyond MaxListBytes.
func readBounded(r io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxListBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxListBytes {
		return nil, fmt.Errorf("decompresses to more than %d bytes", MaxListBytes)
	}
	return raw, nil
}

// compress writes data through the compressor newW makes and returns the output.
func compress(data []byte, newW func(io.Writer) (io.WriteCloser, error)) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := newW(&buf)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
