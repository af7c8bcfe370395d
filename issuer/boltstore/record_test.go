package boltstore

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
)

// encodeRecord writes what json.Marshal writes, for plain records and the ones it hands over.
func TestEncodeRecordMatchesJSONMarshal(t *testing.T) {
	now := time.Date(2026, 12, 6, 15, 4, 5, 0, time.UTC)
	sgt := time.FixedZone("SGT", 8*3600)
	odd := time.FixedZone("LMT", 3600+25*60+17)
	for i, rec := range []issuer.IssueRecord{
		{ID: "urn:uuid:01a24c03-9142-7a5f-a6ea-4ad2362d2abd", Type: "BusinessRegistration", Format: "vc+jwt",
			Status: issuer.StatusRef{Set: 3, Index: 131071}, KeyID: "k1", Issued: now, Expires: now.AddDate(1, 0, 0),
			Client: "key-1", RegistryVersion: 42, RegistryWarning: "not_recognised", Tenant: "sg"},
		{ID: "x", Issued: now},
		{ID: "x", Issued: now.In(sgt).Add(123456789 * time.Nanosecond), Expires: now.In(odd)},
		{ID: `quote"back\slash<tag>&amp`, Type: "ü", Format: "\x01", Issued: now},
		{ID: "bad\xffutf8", KeyID: "tab\tkid", Issued: now, Client: "line\u2028sep", RegistryWarning: "\u2029", Tenant: "<t>"},
		{ID: "far", Issued: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "zero"},
	} {
		want, wantErr := json.Marshal(rec)
		got, err := encodeRecord(rec)
		if (err != nil) != (wantErr != nil) || string(got) != string(want) {
			t.Errorf("record %d:\n got %s (%v)\nwant %s (%v)", i, got, err, want, wantErr)
		}
	}
}
