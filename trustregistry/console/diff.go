package console

import (
	"encoding/json"

	"github.com/idport/idport/trustregistry"
)

// objectDiff is what a change set does to one object, field by field.
type objectDiff struct {
	Kind trustregistry.Kind
	ID   string
	// New is true when the object does not exist before the change.
	New    bool
	Fields []fieldDiff
}

// fieldDiff is one changed top-level member ("" for an absent one).
type fieldDiff struct {
	Name          string
	Before, After string
}

// objectDiffs groups the registry's field-level diff of a proposal (Service.ProposalDetail, the
// same diff the admin API and `idport admin proposals show` give) by object, in order. An object
// is new when the diff adds its identifying member (id, or code for a jurisdiction): a change to
// an existing object never does.
func objectDiffs(changes []trustregistry.FieldChange) []objectDiff {
	var out []objectDiff
	for _, fc := range changes {
		if n := len(out); n == 0 || out[n-1].Kind != fc.Kind || out[n-1].ID != fc.ID {
			out = append(out, objectDiff{Kind: fc.Kind, ID: fc.ID})
		}
		d := &out[len(out)-1]
		if fc.Change == trustregistry.FieldAdded && (fc.Path == "id" || fc.Path == "code") {
			d.New = true
		}
		d.Fields = append(d.Fields, fieldDiff{Name: fc.Path, Before: display(fc.Before), After: display(fc.After)})
	}
	return out
}

func display(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	return displayJSON(raw)
}
