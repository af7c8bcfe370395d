package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idport/idport/trustregistry"
)

// Admin is a client of the registry's admin API (/admin/v1) for one account.
type Admin struct {
	URL        string
	Token      string
	HTTPClient *http.Client
}

// NewAdmin returns an admin client with a 30 s timeout.
func NewAdmin(baseURL, token string) *Admin {
	return &Admin{URL: strings.TrimRight(baseURL, "/"), Token: token, HTTPClient: &http.Client{Timeout: 30 * time.Second}}
}

// Problem is an RFC 9457 error answered by the registry.
type Problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Path   string `json:"path,omitempty"`
}

// Error implements error.
func (p *Problem) Error() string {
	s := fmt.Sprintf("registry: HTTP %d %s", p.Status, p.Code)
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// Do sends a request with the account's token and decodes a JSON answer into out (if not nil).
// idemKey, when set, is sent as Idempotency-Key.
func (a *Admin) Do(ctx context.Context, method, path string, in, out any, idemKey string) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.URL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+a.Token)
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	hc := a.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		p := &Problem{Status: resp.StatusCode}
		if json.Unmarshal(b, p) != nil || p.Code == "" {
			p.Detail = strings.TrimSpace(string(b))
		}
		return p
	}
	if out != nil {
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = append((*raw)[:0], b...)
			return nil
		}
		return json.Unmarshal(b, out)
	}
	return nil
}

// Whoami returns the account of the token.
func (a *Admin) Whoami(ctx context.Context) (trustregistry.Account, error) {
	var acct trustregistry.Account
	return acct, a.Do(ctx, http.MethodGet, "/admin/v1/whoami", nil, &acct, "")
}

// Propose submits a change set.
func (a *Admin) Propose(ctx context.Context, cs trustregistry.ChangeSet, reason, idemKey string) (*trustregistry.Proposal, error) {
	var p trustregistry.Proposal
	err := a.Do(ctx, http.MethodPost, "/admin/v1/proposals", map[string]any{"change_set": cs, "reason": reason}, &p, idemKey)
	return &p, err
}

// Approve approves a proposal.
func (a *Admin) Approve(ctx context.Context, id, comment string) (*trustregistry.Proposal, error) {
	var p trustregistry.Proposal
	err := a.Do(ctx, http.MethodPost, "/admin/v1/proposals/"+url.PathEscape(id)+"/approve", map[string]string{"comment": comment}, &p, "")
	return &p, err
}

// Reject rejects (or withdraws) a proposal.
func (a *Admin) Reject(ctx context.Context, id, reason string) (*trustregistry.Proposal, error) {
	var p trustregistry.Proposal
	err := a.Do(ctx, http.MethodPost, "/admin/v1/proposals/"+url.PathEscape(id)+"/reject", map[string]string{"reason": reason}, &p, "")
	return &p, err
}

// GetProposal returns one proposal.
func (a *Admin) GetProposal(ctx context.Context, id string) (*trustregistry.Proposal, error) {
	var p trustregistry.Proposal
	return &p, a.Do(ctx, http.MethodGet, "/admin/v1/proposals/"+url.PathEscape(id), nil, &p, "")
}

// ListProposals lists proposals, optionally by status.
func (a *Admin) ListProposals(ctx context.Context, status trustregistry.ProposalStatus) ([]*trustregistry.Proposal, error) {
	var out []*trustregistry.Proposal
	after := ""
	for {
		q := url.Values{"limit": {"1000"}}
		if status != "" {
			q.Set("status", string(status))
		}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Items []*trustregistry.Proposal `json:"items"`
			Next  string            `json:"next"`
		}
		if err := a.Do(ctx, http.MethodGet, "/admin/v1/proposals?"+q.Encode(), nil, &page, ""); err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.Next == "" {
			return out, nil
		}
		after = page.Next
	}
}

// History returns the revisions of one object.
func (a *Admin) History(ctx context.Context, kind trustregistry.Kind, id string) ([]trustregistry.Revision, error) {
	var body struct {
		Revisions []trustregistry.Revision `json:"revisions"`
	}
	err := a.Do(ctx, http.MethodGet, "/admin/v1/history/"+url.PathEscape(string(kind))+"/"+url.PathEscape(id), nil, &body, "")
	return body.Revisions, err
}

// Audit exports the whole audit log.
func (a *Admin) Audit(ctx context.Context) ([]trustregistry.AuditRecord, error) {
	var out []trustregistry.AuditRecord
	var after uint64
	for {
		var body struct {
			Records []trustregistry.AuditRecord `json:"records"`
		}
		if err := a.Do(ctx, http.MethodGet, "/admin/v1/audit?limit=1000&after="+strconv.FormatUint(after, 10), nil, &body, ""); err != nil {
			return nil, err
		}
		out = append(out, body.Records...)
		if len(body.Records) < 1000 {
			return out, nil
		}
		after = body.Records[len(body.Records)-1].Seq
	}
}

// VerifyAudit asks the registry to check its audit chain.
func (a *Admin) VerifyAudit(ctx context.Context) (trustregistry.AuditReport, error) {
	var r trustregistry.AuditReport
	return r, a.Do(ctx, http.MethodGet, "/admin/v1/audit/verify", nil, &r, "")
}

// CreateAccount creates an account (admin role) and returns its token, shown once.
func (a *Admin) CreateAccount(ctx context.Context, name string, roles ...trustregistry.Role) (string, error) {
	var body struct {
		Token string `json:"token"`
	}
	err := a.Do(ctx, http.MethodPost, "/admin/v1/accounts", map[string]any{"name": name, "roles": roles}, &body, "")
	return body.Token, err
}

// ProposeAndApprove is maker-checker in one call for scripts and the demo: proposer proposes,
// approver approves; it returns the applied proposal (AppliedVersion set).
func ProposeAndApprove(ctx context.Context, proposer, approver *Admin, cs trustregistry.ChangeSet, reason string) (*trustregistry.Proposal, error) {
	p, err := proposer.Propose(ctx, cs, reason, "")
	if err != nil {
		return nil, fmt.Errorf("propose: %w", err)
	}
	ap, err := approver.Approve(ctx, p.ID, "approved: "+reason)
	if err != nil {
		return nil, fmt.Errorf("approve %s: %w", p.ID, err)
	}
	if ap.Status != trustregistry.ProposalApplied {
		return ap, fmt.Errorf("proposal %s is %s after approval (quorum not reached?)", ap.ID, ap.Status)
	}
	return ap, nil
}

// SeedDemo seeds the demo story (trustregistry.DemoSeed) through the admin API: jurisdictions SG and
// CN-SH-LG, the Singapore corporate scheme, the demo authority with authorityDID, and Lingang's
// recognition for BusinessRegistration (uen -> registrationNumber), proposed by one account and
// approved by another. It returns the registry version after the change.
func SeedDemo(ctx context.Context, proposer, approver *Admin, authorityDID string, effective time.Time) (uint64, error) {
	p, err := ProposeAndApprove(ctx, proposer, approver, trustregistry.DemoSeed(authorityDID, effective), "seed the Singapore -> Lingang demo")
	if err != nil {
		return 0, err
	}
	return p.AppliedVersion, nil
}

// SuspendAuthority suspends an authority from now through maker-checker and returns the version.
func SuspendAuthority(ctx context.Context, proposer, approver *Admin, id, reason string) (uint64, error) {
	p, err := ProposeAndApprove(ctx, proposer, approver, trustregistry.SuspendAuthority(id, reason, time.Now()), reason)
	if err != nil {
		return 0, err
	}
	return p.AppliedVersion, nil
}
