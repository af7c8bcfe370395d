package vcjwt

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"testing"
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
			n, err := strconv.Atoi(idx)
			if err != nil || n < 0 {
				return fmt.Errorf("%w: statusListIndex %q", ErrMalformed, idx)
			}
			r.Index = n
		case float64:
			if idx < 0 || idx != math.Trunc(idx) || idx > math.MaxInt32 {
				return fmt.Errorf("%w: statusListIndex %v", ErrMalformed, idx)
			}
			r.Index = int(idx)
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
