package vcjwt

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/keys"
)

// readStatusReference is the reading readStatus replaced: every entry
// decoded into a map, the typed fields taken from it by type assertion. It
// is the reference the typed reader is compared with.
func readStatusReference(s *scanner) ([]StatusRef, []map[string]any, error) {
	var (
		out  []StatusRef
		maps []map[string]any
	)
	read := func() error {
		v, err := s.value()
		if err != nil {
			return err
		}
		e, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: credentialStatus entries must be objects", ErrMalformed)
		}
		r := StatusRef{Index: -1}
		r.ID, _ = e["id"].(string)
		r.Type, _ = e["type"].(string)
		r.Purpose, _ = e["statusPurpose"].(string)
		r.URI, _ = e["statusListCredential"].(string)
		switch idx := e["statusListIndex"].(type) {
		case string:
			if r.Index, err = statusIndexString(idx); err != nil {
				return err
			}
		case float64:
			if r.Index, err = statusIndexNumber(idx); err != nil {
				return err
			}
		}
		out = append(out, r)
		maps = append(maps, e)
		return nil
	}
	var err error
	if s.peek() == '[' {
		err = s.array(read)
	} else {
		err = read()
	}
	return out, maps, err
}

// statusSeeds are credentialStatus values of every shape: one entry or an
// array, string and number indexes, members of the wrong JSON type, nested
// and unknown members, escapes, repeated names, and malformed JSON.
var statusSeeds = []string{
	`{"id":"https://issuer.example/status/3#94567","type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"94567","statusListCredential":"https://issuer.example/status/3"}`,
	`[{"id":"u#1","type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"1","statusListCredential":"u"},{"id":"v#2","type":"BitstringStatusListEntry","statusPurpose":"suspension","statusListIndex":2,"statusListCredential":"v"}]`,
	`[]`,
	`{}`,
	`[{}]`,
	`{"statusListIndex":7}`,
	`{"statusListIndex":7.5}`,
	`{"statusListIndex":-1}`,
	`{"statusListIndex":"-1"}`,
	`{"statusListIndex":"x"}`,
	`{"statusListIndex":1e3}`,
	`{"statusListIndex":3e10}`,
	`{"statusListIndex":true}`,
	`{"statusListIndex":null}`,
	`{"statusListIndex":[1]}`,
	`{"statusListIndex":{"a":1}}`,
	`{"id":1,"type":true,"statusPurpose":null,"statusListCredential":["u"]}`,
	`{"id":"a\u00e9\"b","type":"T\\n","statusPurpose":"\ud83d\ude00"}`,
	`{"extra":{"nested":[1,{"x":null}]},"type":"X","more":[true,false]}`,
	`{"id":"a","id":"b"}`,
	`{"statusListIndex":"1","statusListIndex":2}`,
	`{"id":"a"`,
	`{"id":"a",}`,
	`{"id":}`,
	`"a string"`,
	`[1]`,
	`[{"id":"a"},2]`,
	`[{"id":"a"},{"id":"b"`,
	`{"statusListIndex":01}`,
	`{"statusListIndex":"\u0031"}`,
	` { "type" : "BitstringStatusListEntry" , "statusListIndex" : "5" } `,
	"{\"id\":\"\xff\"}",
}

// compareStatusReading reads in with readStatus and with the reference and
// fails on any difference: failure or not, typed fields, and Raw against the
// reference's decoded map.
func compareStatusReading(t *testing.T, in string) {
	t.Helper()
	fast := scanner{b: in}
	got, err := readStatus(&fast)
	ref := scanner{b: in}
	want, maps, wantErr := readStatusReference(&ref)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, reference %v", in, err, wantErr)
	}
	if err != nil {
		if !classified(err) {
			t.Fatalf("%q: unclassified error %v", in, err)
		}
		return
	}
	if fast.i != ref.i {
		t.Fatalf("%q: stopped at %d, reference at %d", in, fast.i, ref.i)
	}
	if len(got) != len(want) {
		t.Fatalf("%q: %d entries, reference %d", in, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Type != w.Type || g.Purpose != w.Purpose || g.URI != w.URI || g.Index != w.Index {
			t.Fatalf("%q: entry %d %+v, reference %+v", in, i, g, w)
		}
		if raw := g.Raw(); !reflect.DeepEqual(raw, maps[i]) {
			t.Fatalf("%q: entry %d Raw %v, reference %v", in, i, raw, maps[i])
		}
	}
}

func TestReadStatusMatchesReference(t *testing.T) {
	for _, in := range statusSeeds {
		compareStatusReading(t, in)
	}
}

func TestStatusRefRaw(t *testing.T) {
	s := scanner{b: statusSeeds[0]}
	refs, err := readStatus(&s)
	if err != nil || len(refs) != 1 {
		t.Fatal(refs, err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(statusSeeds[0]), &want); err != nil {
		t.Fatal(err)
	}
	if got := refs[0].Raw(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Raw %v, want %v", got, want)
	}
	// Each call decodes anew: changing one map leaves the next call's alone.
	refs[0].Raw()["id"] = "changed"
	if refs[0].Raw()["id"] != want["id"] {
		t.Fatal("Raw shares its map between calls")
	}
	if (StatusRef{Type: TypeTokenStatusList, URI: "u", Index: 1}).Raw() != nil {
		t.Fatal("a token status list reference has a Raw entry")
	}
}

func FuzzReadStatus(f *testing.F) {
	for _, s := range statusSeeds {
		f.Add(s)
	}
	f.Fuzz(compareStatusReading)
}

// TestStatusEntriesRefused: signed VC-JOSE credentials whose
// credentialStatus an attacker shapes to dodge the status check (an index
// that is negative, fractional, past 2^31-1 or not a number, an entry that
// is not an object, a repeated index) are refused as malformed, not read
// with an index the status list check would skip or misread.
func TestStatusEntriesRefused(t *testing.T) {
	k := mustKey(t, keys.EdDSA)
	good, err := SignVCJOSE(k, sampleCredential(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	payload := mustJSON(t, payloadOf(t, good))
	const entry = `{"id":"https://issuer.example/status/3#94567","statusListCredential":"https://issuer.example/status/3","statusListIndex":"94567","statusPurpose":"revocation","type":"BitstringStatusListEntry"}`
	if !strings.Contains(payload, `"credentialStatus":`+entry) {
		t.Fatalf("the sample's status entry is not where the test expects it: %s", payload)
	}
	hdr := `{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"` + issuerDID + "#" + k.ID + `"}`
	with := func(status string) string {
		return forge(t, hdr, strings.Replace(payload, `"credentialStatus":`+entry, `"credentialStatus":`+status, 1), k)
	}
	index := func(v string) string {
		return with(strings.Replace(entry, `"statusListIndex":"94567"`, `"statusListIndex":`+v, 1))
	}
	var cases []rejection
	for _, v := range []string{`"-1"`, `"1.5"`, `"x"`, `""`, `"0x10"`, `-1`, `1.5`, `2147483648`, `1e10`, `"94567","statusListIndex":"1"`} {
		cases = append(cases, rejection{"statusListIndex " + v, index(v), ErrMalformed})
	}
	for _, s := range []string{`"https://issuer.example/status/3"`, `[1]`, `[` + entry + `,"x"]`, `[` + entry + `,null]`} {
		cases = append(cases, rejection{"credentialStatus " + s, with(s), ErrMalformed})
	}
	expectRejected(t, k, cases)

	// The same entries with a sound index are read.
	for v, want := range map[string]int{`"0"`: 0, `7`: 7, `2147483647`: 2147483647, `"94567"`: 94567} {
		p, err := ParseCredential(index(v))
		if err != nil {
			t.Fatal(v, err)
		}
		got, err := p.Verify(k.Public)
		if err != nil || len(got.Status) != 1 || got.Status[0].Index != want {
			t.Fatalf("statusListIndex %s: %+v %v", v, got, err)
		}
	}
}
