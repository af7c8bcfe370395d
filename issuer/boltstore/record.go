package boltstore

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/jsontext"
)

// encodeRecord returns the JSON of rec exactly as json.Marshal writes it: the issuance path
// writes one per credential, and building it directly costs a fraction of the reflection. A
// record with a string that needs escaping or a time json.Marshal refuses goes through
// json.Marshal itself.
func encodeRecord(rec issuer.IssueRecord) ([]byte, error) {
	if !plainRecord(rec) {
		return json.Marshal(rec)
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"id":"`...)
	b = append(b, rec.ID...)
	b = append(b, `","type":"`...)
	b = append(b, rec.Type...)
	b = append(b, `","format":"`...)
	b = append(b, rec.Format...)
	b = append(b, `","status":{"set":`...)
	b = strconv.AppendUint(b, uint64(rec.Status.Set), 10)
	b = append(b, `,"index":`...)
	b = strconv.AppendUint(b, uint64(rec.Status.Index), 10)
	b = append(b, `},"kid":"`...)
	b = append(b, rec.KeyID...)
	b = append(b, `","issued":"`...)
	b = rec.Issued.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if !rec.Expires.IsZero() {
		b = append(b, `,"expires":"`...)
		b = rec.Expires.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = appendOptString(b, `,"client":"`, rec.Client)
	if rec.RegistryVersion != 0 {
		b = append(b, `,"registry_version":`...)
		b = strconv.AppendUint(b, rec.RegistryVersion, 10)
	}
	b = appendOptString(b, `,"registry_warning":"`, rec.RegistryWarning)
	b = appendOptString(b, `,"tenant":"`, rec.Tenant)
	return append(b, '}'), nil
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return append(append(append(b, key...), s...), '"')
}

// plainRecord reports whether encodeRecord may write rec directly: every string is written by
// json.Marshal unchanged and both times are ones time.Time.MarshalJSON accepts as they are.
func plainRecord(rec issuer.IssueRecord) bool {
	for _, s := range [...]string{rec.ID, rec.Type, rec.Format, rec.KeyID, rec.Client, rec.RegistryWarning, rec.Tenant} {
		if !jsontext.Plain(s) {
			return false
		}
	}
	return plainTime(rec.Issued) && (rec.Expires.IsZero() || plainTime(rec.Expires))
}

// plainTime reports whether t's RFC 3339 form is what time.Time.MarshalJSON writes: a year of
// four digits and a zone offset of whole minutes.
func plainTime(t time.Time) bool {
	if y := t.Year(); y < 0 || y > 9999 {
		return false
	}
	_, off := t.Zone()
	return off%60 == 0
}
