package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
)

// pageSize is the number of rows of a list page.
const pageSize = 100

type overviewData struct {
	Version       uint64
	UpdatedAt     time.Time
	SnapshotSeq   uint64
	SnapshotAt    time.Time
	SnapshotAge   string
	Counts        []kindCount
	ForMe         []*trustregistry.Proposal
	Quorum        int
	LastProposal  *trustregistry.Proposal
	PendingOthers int
}

type kindCount struct {
	Kind  trustregistry.Kind
	Count int
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, q *request) {
	st := c.svc.Index().State()
	d := overviewData{Version: st.Version, UpdatedAt: st.UpdatedAt, Quorum: c.svc.Quorum(), SnapshotAt: c.svc.SnapshotIssuedAt()}
	if rec, ok := c.svc.Snapshot(); ok {
		d.SnapshotSeq = rec.Sequence
	}
	if !d.SnapshotAt.IsZero() {
		d.SnapshotAge = c.cfg.Now().Sub(d.SnapshotAt).Truncate(time.Second).String()
	}
	for _, k := range trustregistry.Kinds {
		d.Counts = append(d.Counts, kindCount{k, count(st, k)})
	}
	pending, err := c.svc.ListProposals(r.Context(), trustregistry.ProposalFilter{Status: trustregistry.ProposalPending})
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	for _, p := range pending {
		if awaitsMe(q.account, p) {
			d.ForMe = append(d.ForMe, p)
		} else {
			d.PendingOthers++
		}
	}
	c.render(w, r, q, http.StatusOK, "overview", &view{Title: translator(q.lang).T("overview"), Nav: "overview", Data: d})
}

// count returns the number of objects of kind k (without sorting their ids).
func count(st *trustregistry.State, k trustregistry.Kind) int {
	switch k {
	case trustregistry.KindJurisdiction:
		return len(st.Jurisdictions)
	case trustregistry.KindScheme:
		return len(st.Schemes)
	case trustregistry.KindAuthority:
		return len(st.Authorities)
	case trustregistry.KindAgreement:
		return len(st.Agreements)
	case trustregistry.KindRecognition:
		return len(st.Recognitions)
	}
	return 0
}

// awaitsMe reports whether a pending proposal waits for an action of a: an approver who
// did not propose or approve it yet, or its proposer (who may withdraw it).
func awaitsMe(a trustregistry.Account, p *trustregistry.Proposal) bool {
	if p.Proposer == a.Name {
		return true
	}
	if !a.Has(trustregistry.RoleApprover) {
		return false
	}
	return !slices.ContainsFunc(p.Approvals, func(x trustregistry.Approval) bool { return x.Account == a.Name })
}

// stateAt resolves the page's "as known at" parameter (a version or a date) to a state.
func (c *Console) stateAt(r *http.Request, v *view) (*trustregistry.State, error) {
	cur := c.svc.Index().State()
	s := strings.TrimSpace(r.URL.Query().Get("asof"))
	if s == "" {
		return cur, nil
	}
	v.AsOf = s
	var ver uint64
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		ver = n
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		ver = c.svc.VersionAt(t)
	} else if t, err := time.Parse("2006-01-02", s); err == nil {
		ver = c.svc.VersionAt(t.Add(24*time.Hour - time.Nanosecond)) // the end of that day (UTC)
	} else {
		return nil, errs.Errorf(trustregistry.CodeBadParameter, "as known at %q is neither a version nor a date", s)
	}
	if ver > cur.Version {
		return nil, errs.Errorf(trustregistry.CodeBadParameter, "registry version %d does not exist yet (latest %d)", ver, cur.Version)
	}
	v.AsOfVersion = ver
	if ver == cur.Version {
		return cur, nil
	}
	if ver == 0 {
		return trustregistry.NewState(), nil
	}
	return c.svc.Store().StateAt(r.Context(), ver)
}

// row is one object in a list.
type row struct {
	ID     string
	Name   string
	Status trustregistry.Status
	Extra  string
}

type listData struct {
	Kind       trustregistry.Kind
	Rows       []row
	Total      int
	Matched    int
	Search     string
	Status     string
	HasStatus  bool
	Page       int
	PrevPage   int
	NextPage   int
	QueryExtra string
}

func (c *Console) objectList(w http.ResponseWriter, r *http.Request, q *request) {
	k, ok := kindOf(r.PathValue("kind"))
	if !ok {
		c.errorPage(w, r, q, errs.Errorf(trustregistry.CodeNotFound, "no such kind %q", r.PathValue("kind")))
		return
	}
	v := &view{Title: translator(q.lang).T(string(k)), Nav: string(k)}
	st, err := c.stateAt(r, v)
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	qs := r.URL.Query()
	d := listData{Kind: k, Search: strings.TrimSpace(qs.Get("q")), Status: qs.Get("status"),
		HasStatus: k == trustregistry.KindAuthority || k == trustregistry.KindRecognition}
	d.Page, _ = strconv.Atoi(qs.Get("page"))
	if d.Page < 1 {
		d.Page = 1
	}
	needle := strings.ToLower(d.Search)
	now := c.cfg.Now()
	ids := st.IDs(k)
	d.Total = len(ids)
	skip := (d.Page - 1) * pageSize
	for _, id := range ids {
		rw := describe(st, k, id, now, v.AsOfVersion)
		if needle != "" && !strings.Contains(strings.ToLower(rw.ID), needle) && !strings.Contains(strings.ToLower(rw.Name), needle) {
			continue
		}
		if d.Status != "" && string(rw.Status) != d.Status {
			continue
		}
		d.Matched++
		if d.Matched > skip && len(d.Rows) < pageSize {
			d.Rows = append(d.Rows, rw)
		}
	}
	if d.Page > 1 {
		d.PrevPage = d.Page - 1
	}
	if d.Matched > d.Page*pageSize {
		d.NextPage = d.Page + 1
	}
	v.Data = d
	c.render(w, r, q, http.StatusOK, "list", v)
}

// describe returns the list row of one object: its name and its status now, as known at asOf.
func describe(st *trustregistry.State, k trustregistry.Kind, id string, now time.Time, asOf uint64) row {
	rw := row{ID: id}
	status := func(tl []trustregistry.StatusChange) trustregistry.Status {
		if e, ok := trustregistry.StatusAt(tl, now, asOf); ok {
			return e.Status
		}
		return ""
	}
	switch k {
	case trustregistry.KindJurisdiction:
		rw.Name = st.Jurisdictions[id].Name
	case trustregistry.KindScheme:
		s := st.Schemes[id]
		rw.Name, rw.Extra = s.Name, s.Jurisdiction
	case trustregistry.KindAuthority:
		a := st.Authorities[id]
		rw.Name, rw.Extra, rw.Status = a.LegalName, a.Scheme, status(a.Statuses)
	case trustregistry.KindAgreement:
		a := st.Agreements[id]
		rw.Name, rw.Extra = a.Title, strings.Join(a.Parties, " · ")
	case trustregistry.KindRecognition:
		x := st.Recognitions[id]
		rw.Name, rw.Extra, rw.Status = x.LocalScheme+" ← "+x.ForeignScheme, x.Agreement, status(x.Statuses)
	}
	return rw
}

type field struct {
	Name  string
	Value string
}

type timelineEntry struct {
	trustregistry.StatusChange
	Backdated bool
}

type objectData struct {
	Kind      trustregistry.Kind
	ID        string
	Name      string
	Status    trustregistry.Status
	Fields    []field
	Timeline  []timelineEntry
	Revisions []trustregistry.Revision
	Missing   bool
}

func (c *Console) objectPage(w http.ResponseWriter, r *http.Request, q *request) {
	k, ok := kindOf(r.PathValue("kind"))
	if !ok {
		c.errorPage(w, r, q, errs.Errorf(trustregistry.CodeNotFound, "no such kind %q", r.PathValue("kind")))
		return
	}
	id := r.PathValue("id")
	v := &view{Nav: string(k)}
	st, err := c.stateAt(r, v)
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	revs, err := c.svc.History(r.Context(), k, id)
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	obj := st.Object(k, id)
	if obj == nil && len(revs) == 0 {
		c.errorPage(w, r, q, errs.Errorf(trustregistry.CodeNotFound, "no %s %q", k, id))
		return
	}
	d := objectData{Kind: k, ID: id, Missing: obj == nil}
	if obj != nil {
		rw := describe(st, k, id, c.cfg.Now(), v.AsOfVersion)
		d.Name, d.Status = rw.Name, rw.Status
		d.Fields = fieldsOf(obj)
		var tl []trustregistry.StatusChange
		switch o := obj.(type) {
		case *trustregistry.Authority:
			tl = o.Statuses
		case *trustregistry.Recognition:
			tl = o.Statuses
		}
		for _, e := range tl {
			if v.AsOfVersion != 0 && e.Version > v.AsOfVersion {
				continue
			}
			d.Timeline = append(d.Timeline, timelineEntry{e, e.EffectiveAt.Before(e.RecordedAt.Add(-time.Minute))})
		}
		sort.SliceStable(d.Timeline, func(i, j int) bool { return d.Timeline[i].RecordedAt.After(d.Timeline[j].RecordedAt) })
	}
	for i := len(revs) - 1; i >= 0; i-- {
		if v.AsOfVersion == 0 || revs[i].Version <= v.AsOfVersion {
			d.Revisions = append(d.Revisions, revs[i])
		}
	}
	v.Title, v.Data = id, d
	c.render(w, r, q, http.StatusOK, "object", v)
}

// fieldsOf lists the JSON members of an object (status timelines aside), values as compact
// JSON unless they are strings.
func fieldsOf(obj any) []field {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	var out []field
	for _, name := range sortedKeys(m) {
		if name == "statuses" {
			continue
		}
		out = append(out, field{Name: name, Value: displayJSON(m[name])})
	}
	return out
}

func displayJSON(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

type auditData struct {
	Allowed bool
	Report  trustregistry.AuditReport
	Records []trustregistry.AuditRecord
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, q *request) {
	v := &view{Title: translator(q.lang).T("audit"), Nav: "audit"}
	d := auditData{Allowed: q.account.Has(trustregistry.RoleAuditor)}
	if d.Allowed {
		rep, err := c.svc.VerifyAudit(r.Context(), q.account)
		if err != nil {
			c.errorPage(w, r, q, err)
			return
		}
		after := uint64(0)
		if rep.Records > 200 {
			after = uint64(rep.Records - 200)
		}
		recs, err := c.svc.Audit(r.Context(), q.account, after, 200)
		if err != nil {
			c.errorPage(w, r, q, err)
			return
		}
		slices.Reverse(recs)
		d.Report, d.Records = rep, recs
	}
	v.Data = d
	c.render(w, r, q, http.StatusOK, "audit", v)
}

// exportSnapshot sends the latest signed snapshot (the same JWS GET /v1/snapshot serves).
func (c *Console) exportSnapshot(w http.ResponseWriter, r *http.Request, q *request) {
	rec, ok := c.svc.Snapshot()
	if !ok {
		c.errorPage(w, r, q, errs.Errorf(trustregistry.CodeNoSnapshot, "no signed snapshot has been published yet"))
		return
	}
	w.Header().Set("Content-Type", "application/jose")
	w.Header().Set("Content-Disposition", `attachment; filename="registry-snapshot-`+strconv.FormatUint(rec.Sequence, 10)+`.jws"`)
	_, _ = w.Write(rec.JWS)
}
