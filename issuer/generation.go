package issuer

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"slices"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// Status-list generations. The sets (status lists) of generation g are g*GenerationSets+1 ..
// (g+1)*GenerationSets, and an issuer allocates new indexes only in its current generation.
// A data file that was never restored from a backup stays in generation 0 (sets 1, 2, ...).
// An issuer that starts on a restored backup copy (a file carrying a RestoreMarker) cannot
// know which indexes the source issuer handed out after the copy was taken, in any set, so it
// closes every set it knows for allocation (they stay published and their entries keep
// changing status) and moves to a fresh random generation that holds none of its sets and is
// not the source's. Two issuers share a generation only if both picked the same of
// MaxGeneration random generations (about one in a million per pair of restores) or one of
// them opened more than GenerationSets lists (470 million credentials) in one generation,
// which allocation refuses.
const (
	// GenerationSets is the number of status lists in one generation.
	GenerationSets = 4096
	// MaxGeneration is the highest generation (set numbers stay within uint32).
	MaxGeneration = (1<<32-1)/GenerationSets - 1
)

// RestoreMarker is written into every backup copy (never into the live file): an issuer
// starting on a file that carries it knows the file is a copy taken at TakenAt from an issuer
// that was then allocating in generation SourceGeneration.
type RestoreMarker struct {
	// TakenAt is when the copy was taken.
	TakenAt time.Time `json:"taken_at"`
	// SourceGeneration is the list generation of the issuer the copy was taken from.
	SourceGeneration uint32 `json:"source_list_generation"`
}

// GenerationStore is implemented by stores whose files can be copied by an online backup and
// restored (boltstore). A Store without it stays in generation 0.
type GenerationStore interface {
	// OpenGeneration returns the stored list generation. When the store carries a
	// RestoreMarker it calls next with it, stores the generation next returns and clears the
	// marker in the same transaction, and returns the marker too.
	OpenGeneration(ctx context.Context, next func(RestoreMarker) (uint32, error)) (gen uint32, restored *RestoreMarker, err error)
}

// generationOf returns the generation of a set.
func generationOf(set uint32) uint32 { return (set - 1) / GenerationSets }

// firstSet returns the first set of a generation.
func firstSet(gen uint32) uint32 { return gen*GenerationSets + 1 }

// pickGeneration draws a random generation in 1..MaxGeneration outside avoid.
func pickGeneration(avoid map[uint32]bool) (uint32, error) {
	var b [4]byte
	for range 256 {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, errs.Wrap(CodeStore, "store failed: drawing a list generation", err)
		}
		g := 1 + binary.BigEndian.Uint32(b[:])%MaxGeneration
		if !avoid[g] {
			return g, nil
		}
	}
	return 0, errs.Errorf(CodeStatusExhausted, "no status index left: no free list generation found")
}

// openGeneration moves the status table to the store's generation, rotating to a fresh one
// when the store is a restored backup copy (loudly logged).
func (is *Issuer) openGeneration(ctx context.Context) error {
	gs, ok := is.cfg.Store.(GenerationStore)
	if !ok {
		return nil
	}
	sets := is.status.setNumbers()
	slices.Sort(sets)
	gen, m, err := gs.OpenGeneration(ctx, func(m RestoreMarker) (uint32, error) {
		avoid := map[uint32]bool{0: true, m.SourceGeneration: true}
		for _, s := range sets {
			avoid[generationOf(s)] = true
		}
		return pickGeneration(avoid)
	})
	if err != nil {
		return errs.Wrap(CodeStore, "store failed: opening the status-list generation", err)
	}
	is.status.setGeneration(gen)
	if m != nil {
		is.log.Warn("RESTORED FROM BACKUP: this data file is a backup copy; every status list it knows is closed for new credentials "+
			"(still published, status changes still work) and new credentials get lists of a fresh generation, "+
			"so no status index the source issuer handed out after the copy can be handed out again",
			"backup_taken_at", m.TakenAt, "source_list_generation", m.SourceGeneration,
			"closed_lists", sets, "new_list_generation", gen, "first_new_list", firstSet(gen))
	}
	return nil
}
