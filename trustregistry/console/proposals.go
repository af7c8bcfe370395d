package console

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
)

type proposalListData struct {
	Status string
	Items  []*trustregistry.Proposal
	Quorum int
}

func (c *Console) proposalList(w http.ResponseWriter, r *http.Request, q *request) {
	st := trustregistry.ProposalStatus(r.URL.Query().Get("status"))
	switch st {
	case "", trustregistry.ProposalPending, trustregistry.ProposalApplied, trustregistry.ProposalRejected, trustregistry.ProposalExpired,
		trustregistry.ProposalWithdrawn, trustregistry.ProposalStale:
	default:
		c.errorPage(w, r, q, errs.Errorf(trustregistry.CodeBadParameter, "status %q is not pending, applied, rejected, expired, withdrawn or stale", st))
		return
	}
	ps, err := c.svc.ListProposals(r.Context(), trustregistry.ProposalFilter{Status: st})
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].CreatedAt.After(ps[j].CreatedAt) })
	if len(ps) > 200 {
		ps = ps[:200]
	}
	c.render(w, r, q, http.StatusOK, "proposals", &view{Title: translator(q.lang).T("proposals"), Nav: "proposals",
		Data: proposalListData{Status: string(st), Items: ps, Quorum: c.svc.Quorum()}})
}

// formData is what the proposal forms show: the choices and the values sent back on error.
type formData struct {
	Form         string
	Authorities  []string
	Schemes      []string
	Recognitions []string
	Values       map[string]string
	// Path locates the invalid member of a refused change set.
	Path string
}

var formTitles = map[string]string{"suspension": "new_suspension", "authority": "new_authority", "mapping": "new_mapping"}

func (c *Console) proposalForm(w http.ResponseWriter, r *http.Request, q *request) {
	form := r.PathValue("form")
	if _, ok := formTitles[form]; !ok {
		c.errorPage(w, r, q, errs.Errorf(trustregistry.CodeNotFound, "no form %q", form))
		return
	}
	vals := map[string]string{}
	for k, v := range r.URL.Query() {
		vals[k] = v[0]
	}
	c.renderForm(w, r, q, http.StatusOK, form, vals, nil)
}

func (c *Console) renderForm(w http.ResponseWriter, r *http.Request, q *request, status int, form string, vals map[string]string, err error) {
	st := c.svc.Index().State()
	d := formData{Form: form, Values: vals, Authorities: st.IDs(trustregistry.KindAuthority),
		Schemes: st.IDs(trustregistry.KindScheme), Recognitions: st.IDs(trustregistry.KindRecognition)}
	v := &view{Title: translator(q.lang).T(formTitles[form]), Nav: "proposals", Data: d}
	if err != nil {
		v.Error = publicMessage(err)
		if e := errs.As(err); e != nil {
			if p, ok := e.Fields[trustregistry.FieldPath].(string); ok {
				d.Path = p
				v.Data = d
			}
		}
	}
	c.render(w, r, q, status, "proposal_form", v)
}

func (c *Console) proposalCreate(w http.ResponseWriter, r *http.Request, q *request) {
	form := r.PathValue("form")
	if _, ok := formTitles[form]; !ok {
		c.errorPage(w, r, q, errs.Errorf(trustregistry.CodeNotFound, "no form %q", form))
		return
	}
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, q, errs.Wrap(trustregistry.CodeBadParameter, "the form could not be read", err))
		return
	}
	vals := map[string]string{}
	for k, v := range r.PostForm {
		if k != csrfField {
			vals[k] = strings.TrimSpace(v[0])
		}
	}
	cs, err := c.changeSetOf(form, vals, q.account.Name)
	if err == nil {
		var p *trustregistry.Proposal
		p, err = c.svc.Propose(r.Context(), q.account, cs, vals["reason"], 0)
		if err == nil {
			http.Redirect(w, r, Prefix+"/proposals/"+p.ID, http.StatusSeeOther)
			return
		}
	}
	c.renderForm(w, r, q, c.statusOf(err), form, vals, err)
}

// changeSetOf turns a form into the change set it proposes.
func (c *Console) changeSetOf(form string, v map[string]string, actor string) (trustregistry.ChangeSet, error) {
	var eff *time.Time
	if s := v["effective_at"]; s != "" {
		t, err := parseWhen(s)
		if err != nil {
			return trustregistry.ChangeSet{}, formErr("effective_at", "effective time %q is not a date and time such as 2026-01-31T09:30", s)
		}
		eff = &t
	}
	switch form {
	case "suspension":
		st := trustregistry.Status(v["status"])
		return trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpSetAuthorityStatus, ID: v["authority"],
			Status: st, Reason: v["reason"], EffectiveAt: eff}}}, nil
	case "authority":
		a := &trustregistry.Authority{ID: v["id"], Scheme: v["scheme"], LegalName: v["legal_name"], DIDs: lines(v["dids"]),
			CredentialTypes: splitList(v["types"]), Assurance: v["assurance"]}
		for i, l := range lines(v["keys"]) {
			tp, err := trustregistry.JWKThumbprint([]byte(l))
			if err != nil {
				return trustregistry.ChangeSet{}, formErr("keys", "key %d: %s", i+1, err)
			}
			a.Keys = append(a.Keys, trustregistry.AuthorityKey{Thumbprint: tp, JWK: json.RawMessage(l),
				Provenance: trustregistry.Provenance{Method: "out-of-band", CheckedAt: time.Now().UTC(), CheckedBy: actor, Note: "entered in the console"}})
		}
		cs := trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertAuthority, Authority: a, EffectiveAt: eff}}}
		if id := v["recognition"]; id != "" {
			rec, ok := c.svc.Index().State().Recognitions[id]
			if !ok {
				return cs, formErr("recognition", "no recognition %q", id)
			}
			m, err := mapping(v["claim_mapping"], "claim_mapping")
			if err != nil {
				return cs, err
			}
			nr := *rec
			nr.ClaimMapping = m
			cs.Ops = append(cs.Ops, trustregistry.Op{Op: trustregistry.OpUpsertRecognition, Recognition: &nr})
		}
		return cs, nil
	case "mapping":
		rec, ok := c.svc.Index().State().Recognitions[v["recognition"]]
		if !ok {
			return trustregistry.ChangeSet{}, formErr("recognition", "no recognition %q", v["recognition"])
		}
		am, err := mapping(v["assurance_mapping"], "assurance_mapping")
		if err != nil {
			return trustregistry.ChangeSet{}, err
		}
		nr := *rec
		nr.AssuranceMapping = am
		if strings.TrimSpace(v["claim_mapping"]) != "" {
			if nr.ClaimMapping, err = mapping(v["claim_mapping"], "claim_mapping"); err != nil {
				return trustregistry.ChangeSet{}, err
			}
		}
		return trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertRecognition, Recognition: &nr}}}, nil
	}
	return trustregistry.ChangeSet{}, formErr("form", "unknown form %q", form)
}

func formErr(path, format string, args ...any) error {
	return errs.Errorf(trustregistry.CodeValidationFailed, format, args...).WithField(trustregistry.FieldPath, path)
}

func parseWhen(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Parse(time.RFC3339, s)
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// mapping parses "foreign=local" lines.
func mapping(s, path string) (map[string]string, error) {
	m := map[string]string{}
	for _, l := range lines(s) {
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return nil, formErr(path, "%q is not foreign=local", l)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m, nil
}

type proposalData struct {
	P         *trustregistry.Proposal
	Diff      []objectDiff
	DiffError string
	// Stale names the object that changed since the proposal was made: it can no longer apply.
	Stale string
	// Passkeys are the passkeys its reset_account_passkeys operations remove (or removed).
	Passkeys   []trustregistry.PasskeyReset
	Quorum     int
	Agreed     int
	CanApprove bool
	CanReject  bool
	CanWithdrw bool
}

func (c *Console) proposalPage(w http.ResponseWriter, r *http.Request, q *request) {
	c.showProposal(w, r, q, http.StatusOK, r.PathValue("id"), "")
}

func (c *Console) showProposal(w http.ResponseWriter, r *http.Request, q *request, status int, id, msg string) {
	detail, err := c.svc.ProposalDetail(r.Context(), id)
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	p := &detail.Proposal
	d := proposalData{P: p, Quorum: c.svc.Quorum(), Agreed: 1 + len(p.Approvals),
		Diff: objectDiffs(detail.Changes), DiffError: detail.DiffError, Stale: detail.Stale,
		Passkeys: detail.PasskeyResets}
	if p.Status == trustregistry.ProposalPending {
		a := q.account
		d.CanApprove = a.Has(trustregistry.RoleApprover) && p.Proposer != a.Name && awaitsMe(a, p)
		d.CanReject = a.Has(trustregistry.RoleApprover)
		d.CanWithdrw = a.Name == p.Proposer
	}
	c.render(w, r, q, status, "proposal", &view{Title: translator(q.lang).T("proposal") + " " + p.ID, Nav: "proposals", Error: msg, Data: d})
}

// proposalDecide approves, rejects or withdraws a proposal, with the Service's rules.
func (c *Console) proposalDecide(w http.ResponseWriter, r *http.Request, q *request) {
	id := r.PathValue("id")
	var err error
	switch r.PathValue("action") {
	case "approve":
		_, err = c.svc.Approve(r.Context(), q.account, id, strings.TrimSpace(r.PostFormValue("comment")))
	case "reject", "withdraw":
		_, err = c.svc.Reject(r.Context(), q.account, id, strings.TrimSpace(r.PostFormValue("reason")))
	default:
		err = errs.Errorf(trustregistry.CodeNotFound, "no action %q", r.PathValue("action"))
	}
	if err != nil {
		c.log.Info("console: decision refused", "proposal", id, "account", q.account.Name, "err", err)
		c.showProposal(w, r, q, c.statusOf(err), id, publicMessage(err))
		return
	}
	http.Redirect(w, r, Prefix+"/proposals/"+id, http.StatusSeeOther)
}
