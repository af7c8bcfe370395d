// Package adminclient is the Go client of the trust registry's admin API (/admin/v1) for one
// account: one typed method per API call (accounts, proposals, approvals, history, audit, key
// rotation, backups), the wire types of package trustregistry, and API errors as *Problem.
//
//	c := adminclient.New("https://registry.example", token)
//	p, err := c.Propose(ctx, cs, "add the Singapore registrar", "")
package adminclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/importer"
)

// HeaderIdempotencyKey names the idempotency header of admin writes.
const HeaderIdempotencyKey = "Idempotency-Key"

// Client is a client of the registry's admin API for one account.
type Client struct {
	// URL is the registry's base URL (http(s)://host:port).
	URL string
	// Token is the account's bearer token ("" with a client certificate).
	Token string
	// HTTPClient sends the requests (nil: http.DefaultClient).
	HTTPClient *http.Client
}

// New returns a client with a 30 s timeout per request.
func New(baseURL, token string) *Client {
	return &Client{URL: strings.TrimRight(baseURL, "/"), Token: token, HTTPClient: &http.Client{Timeout: 30 * time.Second}}
}

// NewTLS returns a client whose connections use tlsConfig: a custom CA (RootCAs) and a client
// certificate for mTLS login (Certificates; token may then be "").
func NewTLS(baseURL, token string, tlsConfig *tls.Config) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConfig
	return &Client{URL: strings.TrimRight(baseURL, "/"), Token: token, HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
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

// request is one API call.
type request struct {
	method, path string
	in           any    // JSON body, or nil
	idemKey      string // Idempotency-Key, or ""
}

// send performs r with the account's token and returns the answer; an error status is a *Problem.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	var body io.Reader
	if r.in != nil {
		b, err := json.Marshal(r.in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.URL+r.path, body)
	if err != nil {
		return nil, err
	}
	if r.in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if r.idemKey != "" {
		req.Header.Set(HeaderIdempotencyKey, r.idemKey)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		p := &Problem{Status: resp.StatusCode}
		if json.Unmarshal(b, p) != nil || p.Code == "" {
			p.Detail = strings.TrimSpace(string(b))
		}
		return nil, p
	}
	return resp, nil
}

// call performs r and decodes the JSON answer into out (unless nil).
func (c *Client) call(ctx context.Context, r request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], b...)
		return nil
	}
	return json.Unmarshal(b, out)
}

func esc(s string) string { return url.PathEscape(s) }

// Whoami returns the account of the token.
func (c *Client) Whoami(ctx context.Context) (trustregistry.AccountView, error) {
	var a trustregistry.AccountView
	return a, c.call(ctx, request{method: http.MethodGet, path: "/admin/v1/whoami"}, &a)
}

// ListAccounts lists the accounts (admin or auditor role).
func (c *Client) ListAccounts(ctx context.Context) ([]trustregistry.AccountView, error) {
	var l trustregistry.AccountList
	return l.Items, c.call(ctx, request{method: http.MethodGet, path: "/admin/v1/accounts"}, &l)
}

// RotateOwnToken replaces the caller's own token (name must be the caller) with the token
// enrolled by e, generated locally (trustregistry.NewToken); the old token stops working.
func (c *Client) RotateOwnToken(ctx context.Context, name string, e trustregistry.Enrolment) (trustregistry.TokenInfo, error) {
	var ti trustregistry.TokenInfo
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/accounts/" + esc(name) + "/token", in: e}, &ti)
	return ti, err
}

// RevokeOwnToken revokes the caller's own token at once.
func (c *Client) RevokeOwnToken(ctx context.Context, name string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: "/admin/v1/accounts/" + esc(name) + "/token"}, nil)
}

// ListTokens lists tokens without secrets: every account's for the admin and auditor roles,
// one's own otherwise.
func (c *Client) ListTokens(ctx context.Context) ([]trustregistry.TokenInfo, error) {
	var l trustregistry.TokenList
	return l.Items, c.call(ctx, request{method: http.MethodGet, path: "/admin/v1/tokens"}, &l)
}

// Policy returns the governance policy in force.
func (c *Client) Policy(ctx context.Context) (trustregistry.Policy, error) {
	var p trustregistry.Policy
	return p, c.call(ctx, request{method: http.MethodGet, path: "/admin/v1/policy"}, &p)
}

// SubmitJSON proposes the change set of body, a ProposeRequest in JSON (the file of
// `idport admin propose`), sent as is.
func (c *Client) SubmitJSON(ctx context.Context, body []byte, idemKey string) (*trustregistry.Proposal, error) {
	var p trustregistry.Proposal
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/proposals", in: json.RawMessage(body), idemKey: idemKey}, &p)
	return &p, err
}

// Submit proposes a change set (proposer role). idemKey, when set, is sent as Idempotency-Key.
func (c *Client) Submit(ctx context.Context, req trustregistry.ProposeRequest, idemKey string) (*trustregistry.Proposal, error) {
	var p trustregistry.Proposal
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/proposals", in: req, idemKey: idemKey}, &p)
	return &p, err
}

// Propose is Submit of cs with reason and the registry's default expiry.
func (c *Client) Propose(ctx context.Context, cs trustregistry.ChangeSet, reason, idemKey string) (*trustregistry.Proposal, error) {
	return c.Submit(ctx, trustregistry.ProposeRequest{ChangeSet: cs, Reason: reason}, idemKey)
}

// ProposeGovernance is Propose for governance operations (admin role): account creation, role
// changes, disabling, token reset or revocation, registry key rotation, policy.
func (c *Client) ProposeGovernance(ctx context.Context, reason string, ops ...trustregistry.Op) (*trustregistry.Proposal, error) {
	return c.Propose(ctx, trustregistry.ChangeSet{Ops: ops}, reason, "")
}

// Approve approves a proposal (approver role); it applies once the quorum is reached.
func (c *Client) Approve(ctx context.Context, id, comment string) (*trustregistry.Proposal, error) {
	var p trustregistry.Proposal
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/proposals/" + esc(id) + "/approve",
		in: trustregistry.DecisionRequest{Comment: comment}}, &p)
	return &p, err
}

// Reject rejects (or, for its proposer, withdraws) a proposal.
func (c *Client) Reject(ctx context.Context, id, reason string) (*trustregistry.Proposal, error) {
	var p trustregistry.Proposal
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/proposals/" + esc(id) + "/reject",
		in: trustregistry.DecisionRequest{Reason: reason}}, &p)
	return &p, err
}

// GetProposal returns one proposal with its field-level diff (what it changes).
func (c *Client) GetProposal(ctx context.Context, id string) (*trustregistry.ProposalDetail, error) {
	var p trustregistry.ProposalDetail
	return &p, c.call(ctx, request{method: http.MethodGet, path: "/admin/v1/proposals/" + esc(id)}, &p)
}

// ListProposals lists every proposal, optionally only those in status, following the pages.
func (c *Client) ListProposals(ctx context.Context, status trustregistry.ProposalStatus) ([]*trustregistry.Proposal, error) {
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
		var page trustregistry.ProposalPage
		if err := c.call(ctx, request{method: http.MethodGet, path: "/admin/v1/proposals?" + q.Encode()}, &page); err != nil {
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
func (c *Client) History(ctx context.Context, kind trustregistry.Kind, id string) ([]trustregistry.Revision, error) {
	var h trustregistry.HistoryResponse
	err := c.call(ctx, request{method: http.MethodGet, path: "/admin/v1/history/" + esc(string(kind)) + "/" + esc(id)}, &h)
	return h.Revisions, err
}

// Audit exports the whole audit log (auditor role), following the pages.
func (c *Client) Audit(ctx context.Context) ([]trustregistry.AuditRecord, error) {
	var out []trustregistry.AuditRecord
	var after uint64
	for {
		var page trustregistry.AuditPage
		path := "/admin/v1/audit?limit=1000&after=" + strconv.FormatUint(after, 10)
		if err := c.call(ctx, request{method: http.MethodGet, path: path}, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Records...)
		if len(page.Records) < 1000 {
			return out, nil
		}
		after = page.Records[len(page.Records)-1].Seq
	}
}

// VerifyAudit asks the registry to check its audit chain (auditor role).
func (c *Client) VerifyAudit(ctx context.Context) (trustregistry.AuditReport, error) {
	var r trustregistry.AuditReport
	return r, c.call(ctx, request{method: http.MethodGet, path: "/admin/v1/audit/verify"}, &r)
}

// Backup is an online backup being received: Body streams the bytes; Size is the announced
// Content-Length (-1 when unknown) and ReprDigest the announced Repr-Digest header (RFC 9530
// sha-256). Close it when done.
type Backup struct {
	Body       io.ReadCloser
	Size       int64
	ReprDigest string
}

// Close releases the answer.
func (b *Backup) Close() error { return b.Body.Close() }

// Backup starts an online backup of the registry's store (auditor or admin role). The caller
// checks the bytes against Size and ReprDigest before trusting them.
func (c *Client) Backup(ctx context.Context) (*Backup, error) {
	hc := *c
	if hc.HTTPClient != nil {
		nc := *hc.HTTPClient
		nc.Timeout = 0 // a large file takes its time; ctx bounds the call
		hc.HTTPClient = &nc
	}
	resp, err := hc.send(ctx, request{method: http.MethodGet, path: "/admin/v1/backup"})
	if err != nil {
		return nil, err
	}
	return &Backup{Body: resp.Body, Size: resp.ContentLength, ReprDigest: resp.Header.Get("Repr-Digest")}, nil
}

// ProposeAndApprove is maker-checker in one call for scripts and demos: proposer proposes,
// approver approves; it returns the applied proposal (AppliedVersion set).
func ProposeAndApprove(ctx context.Context, proposer, approver *Client, cs trustregistry.ChangeSet, reason string) (*trustregistry.Proposal, error) {
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

// SuspendAuthority suspends an authority from now through maker-checker and returns the version.
func SuspendAuthority(ctx context.Context, proposer, approver *Client, id, reason string) (uint64, error) {
	p, err := ProposeAndApprove(ctx, proposer, approver, trustregistry.SuspendAuthority(id, reason, time.Now()), reason)
	if err != nil {
		return 0, err
	}
	return p.AppliedVersion, nil
}

// ImportFederation proposes the leaf of an OpenID Federation trust chain as an authority
// (proposer role): the registry fetches and verifies the chain and answers the proposal.
func (c *Client) ImportFederation(ctx context.Context, req importer.FederationRequest) (*importer.Response, error) {
	var r importer.Response
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/imports/federation", in: req}, &r)
	return &r, err
}

// ImportDID proposes the subject of a DID document as an authority (proposer role).
func (c *Client) ImportDID(ctx context.Context, req importer.DIDRequest) (*importer.Response, error) {
	var r importer.Response
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/imports/did", in: req}, &r)
	return &r, err
}

// ImportDNSDID proposes the DIDs a domain publishes in DNS-DID TXT records as an authority
// (proposer role).
func (c *Client) ImportDNSDID(ctx context.Context, req importer.DNSDIDRequest) (*importer.Response, error) {
	var r importer.Response
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/imports/dns-did", in: req}, &r)
	return &r, err
}

// Recheck asks the registry to fetch every imported key's source again; keys that changed or
// vanished come back as a proposal (nil when nothing changed) with the findings.
func (c *Client) Recheck(ctx context.Context, reason string) (*importer.Response, error) {
	var r importer.Response
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/recheck", in: map[string]string{"reason": reason}}, &r)
	return &r, err
}
