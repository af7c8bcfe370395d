package issuer

import "testing"

// TestGenerationAllocation: allocation stays inside the current generation, from its first
// set, and the per-generation list bound counts from there.
func TestGenerationAllocation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		gen     uint32
		maxSets uint32
		known   []uint32 // sets loaded from the store
	}{
		{"never restored", 0, 0, []uint32{1, 2}},
		{"restored", 7, 0, []uint32{1, 2}},
		{"restored, bounded", 7, 1, []uint32{1, firstSet(3)}},
		{"highest generation", MaxGeneration, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStatusTable(tc.maxSets)
			for _, s := range tc.known {
				if err := st.load(StatusRef{Set: s, Index: 1}, StateValid); err != nil {
					t.Fatal(err)
				}
			}
			st.setGeneration(tc.gen)
			r, err := st.allocate()
			if err != nil {
				t.Fatal(err)
			}
			if r.Set != firstSet(tc.gen) || generationOf(r.Set) != tc.gen {
				t.Fatalf("allocated in set %d, want %d (generation %d)", r.Set, firstSet(tc.gen), tc.gen)
			}
			if tc.maxSets == 1 {
				st.sets[r.Set].n = fillLimit
				if _, err := st.allocate(); err == nil {
					t.Fatal("allocated past the per-generation bound")
				}
			}
		})
	}
	if last := firstSet(MaxGeneration) + GenerationSets - 1; last < firstSet(MaxGeneration) {
		t.Fatalf("generation %d overflows uint32", MaxGeneration)
	}
	avoid := map[uint32]bool{0: true, 1: true}
	for range 100 {
		g, err := pickGeneration(avoid)
		if err != nil || g == 0 || g == 1 || g > MaxGeneration {
			t.Fatalf("picked %d, %v", g, err)
		}
	}
}
