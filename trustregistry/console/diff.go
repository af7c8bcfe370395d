package console

import (
	"bytes"
	"encoding/json"
	"time"

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

// proposalDiff compares the objects a change set produces with those of base, field by field:
// the change set is applied to base (a pure function: base is not modified) and every changed
// object's JSON members are compared.
func proposalDiff(base *trustregistry.State, cs trustregistry.ChangeSet, now time.Time) ([]objectDiff, error) {
	_, changes, err := trustregistry.Apply(base, cs, now)
	if err != nil {
		return nil, err
	}
	out := make([]objectDiff, 0, len(changes))
	for _, ch := range changes {
		before, after := members(ch.Before), members(ch.After)
		d := objectDiff{Kind: ch.Kind, ID: ch.ID, New: len(ch.Before) == 0 || string(ch.Before) == "null"}
		names := map[string]bool{}
		for k := range before {
			names[k] = true
		}
		for k := range after {
			names[k] = true
		}
		for _, n := range sortedKeys(names) {
			b, a := before[n], after[n]
			if bytes.Equal(compact(b), compact(a)) {
				continue
			}
			d.Fields = append(d.Fields, fieldDiff{Name: n, Before: display(b), After: display(a)})
		}
		out = append(out, d)
	}
	return out, nil
}

func members(raw json.RawMessage) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m)
	}
	return m
}

func compact(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

func display(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	return displayJSON(raw)
}
