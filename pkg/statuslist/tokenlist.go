package statuslist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"io"
)

// Status values of the IETF Token Status List.
const (
	Valid     uint8 = 0x00
	Invalid   uint8 = 0x01
	Suspended uint8 = 0x02
)

// TokenList is an IETF Token Status List: entries of Bits bits (1, 2, 4 or
// 8), entry 0 in the least significant bits of the first byte. It is not
// safe for concurrent mutation; concurrent Gets are safe.
type TokenList struct {
	bits int
	lst  []byte
}

// NewTokenList returns a list of entries statuses, all Valid, of bits bits
// each. entries must be at least MinEntries.
func NewTokenList(entries, bits int) (*TokenList, error) {
	if !validBits(bits) {
		return nil, fmt.Errorf("statuslist: bits %d (want 1, 2, 4 or 8)", bits)
	}
	if entries < MinEntries {
		return nil, fmt.Errorf("statuslist: %d entries is below the minimum of %d", entries, MinEntries)
	}
	n := (entries*bits + 7) / 8
	if n > MaxListBytes {
		return nil, fmt.Errorf("statuslist: %d entries of %d bits exceed %d bytes", entries, bits, MaxListBytes)
	}
	return &TokenList{bits: bits, lst: make([]byte, n)}, nil
}

func validBits(b int) bool { return b == 1 || b == 2 || b == 4 || b == 8 }

// Bits returns the number of bits per entry.
func (l *TokenList) Bits() int { return l.bits }

// Len returns the number of entries.
func (l *TokenList) Len() int { return len(l.lst) * 8 / l.bits }

// Get returns the status of entry i.
func (l *TokenList) Get(i int) (uint8, error) {
	if uint(i) >= uint(len(l.lst)*8/l.bits) {
		return 0, fmt.Errorf("%w: %d of %d", ErrIndexOutOfRange, i, l.Len())
	}
	bit := i * l.bits
	mask := byte(1)<<l.bits - 1
	return l.lst[bit>>3] >> (bit & 7) & mask, nil
}

// Set sets the status of entry i; the value must fit in Bits bits.
func (l *TokenList) Set(i int, status uint8) error {
	if uint(i) >= uint(len(l.lst)*8/l.bits) {
		return fmt.Errorf("%w: %d of %d", ErrIndexOutOfRange, i, l.Len())
	}
	if l.bits < 8 && status >= 1<<l.bits {
		return fmt.Errorf("statuslist: status %d does not fit in %d bits", status, l.bits)
	}
	bit := i * l.bits
	mask := byte(1)<<l.bits - 1
	shift := bit & 7
	l.lst[bit>>3] = l.lst[bit>>3]&^(mask<<shift) | status<<shift
	return nil
}

// Bytes returns a copy of the raw status array.
func (l *TokenList) Bytes() []byte { return bytes.Clone(l.lst) }

// Encode returns the lst value: zlib (DEFLATE) compressed status array,
// base64url without padding.
func (l *TokenList) Encode() (string, error) {
	z, err := compress(l.lst, func(w io.Writer) (io.WriteCloser, error) {
		return zlib.NewWriterLevel(w, zlib.BestCompression)
	})
	if err != nil {
		return "", fmt.Errorf("statuslist: zlib: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(z), nil
}

// DecodeTokenList decodes a status_list claim's lst with its bits. Lists
// from other issuers may be shorter than MinEntries; they decode.
func DecodeTokenList(bits int, lst string) (*TokenList, error) {
	if !validBits(bits) {
		return nil, invalidf("bits %d (want 1, 2, 4 or 8)", bits)
	}
	if len(lst) > maxEncodedBytes {
		return nil, invalidf("lst of %d bytes", len(lst))
	}
	z, err := decodeB64URL(lst)
	if err != nil {
		return nil, invalidf("lst is not base64url: %v", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, invalidf("lst is not zlib: %v", err)
	}
	raw, err := readBounded(zr)
	if err != nil {
		return nil, invalidf("lst zlib data: %v", err)
	}
	if len(raw) == 0 {
		return nil, invalidf("lst is empty")
	}
	return &TokenList{bits: bits, lst: raw}, nil
}
