package statuslist_test

import (
	"fmt"

	"github.com/idport/idport/pkg/statuslist"
)

// An issuer sets bits in a Bitstring Status List and publishes its encoded
// form; a verifier decodes it and tests a bit.
func ExampleBitstring() {
	list, _ := statuslist.NewBitstring(statuslist.MinEntries)
	_ = list.Set(94567, true) // revoke the credential with statusListIndex 94567
	encoded, _ := list.Encode()

	decoded, _ := statuslist.DecodeBitstring(encoded)
	revoked, _ := decoded.Get(94567)
	other, _ := decoded.Get(94568)
	fmt.Println(decoded.Len(), revoked, other)
	// Output: 131072 true false
}

// Token Status Lists hold 1, 2, 4 or 8 bits per entry: with 2 bits an entry
// is Valid, Invalid or Suspended.
func ExampleTokenList() {
	list, _ := statuslist.NewTokenList(statuslist.MinEntries, 2)
	_ = list.Set(12, statuslist.Suspended)
	lst, _ := list.Encode()

	decoded, _ := statuslist.DecodeTokenList(2, lst)
	s, _ := decoded.Get(12)
	fmt.Println(s == statuslist.Suspended)
	// Output: true
}

// PickIndex chooses a random index the caller has not used yet; the caller
// records it durably before handing it out, so it is never reused.
func ExampleIndexSet() {
	used := statuslist.NewIndexSet(statuslist.MinEntries)
	i, _ := used.Allocate()
	fmt.Println(used.Has(i), used.Len())
	// Output: true 1
}
