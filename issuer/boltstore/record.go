package boltstore

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/jsontext"
)

// encodeRecord returns the JSON of rec exactly as json.Marshal writes it: the issuance path
// writes one per credential, and building it directly costs a fraction of the reflection. Its
// strings go through jsontext.AppendString (json.Marshal's escaping); a record with a time
// json.Marshal refuses or writes otherwise goes through json.Marshal itself.
func encodeRecord(rec issuer.IssueRecord) ([]byte, error) {
	if !plainTime(rec.Issued) || (!rec.Expires.IsZero() && !plainTime(rec.Expires)) {
		return json.Marshal(rec)
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"id":`...)
	b = jsontext.AppendString(b, rec.ID)
	b = append(b, `,"type":`...)
	b = jsontext.AppendString(b, rec.Type)
	b = append(b, `,"format":`...)
	b = jsontext.AppendString(b, rec.Format)
	b = append(b, `,"status":{"set":`...)
	b = strconv.AppendUint(b, uint64(rec.Status.Set), 10)
	b = append(b, `,"index":`...)
	b = strconv.AppendUint(b, uint64(rec.Status.Index), 10)
	b = append(b, `},"kid":`...)
	b = jsontext.AppendString(b, rec.KeyID)
	b = append(b, `,"issued":"`...)
	b = rec.Issued.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if !rec.Expires.IsZero() {
		b = append(b, `,"expires":"`...)
		b = rec.Expires.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = appendOptString(b, `,"client":`, rec.Client)
	if rec.RegistryVersion != 0 {
		b = append(b, `,"registry_version":`...)
		b = strconv.AppendUint(b, rec.RegistryVersion, 10)
	}
	b = appendOptString(b, `,"registry_warning":`, rec.RegistryWarning)
	b = appendOptString(b, `,"tenant":`, rec.Tenant)
	return append(b, '}'), nil
}

// appendOptString appends the member key (its comma, name and colon) and s, unless s is empty
// (omitempty).
func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return jsontext.AppendString(append(b, key...), s)
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
