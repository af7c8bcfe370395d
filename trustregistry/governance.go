package trustregistry

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// Governance: every privileged act on accounts, tokens, the registry key and the policy is an
// operation of a change set (OpCreateAccount ... OpSetPolicy), proposed by one admin and
// approved by a quorum of other accounts, applied atomically with its audit record. Rules:
//
//   - Nobody receives another account's token: a creation or token reset carries only the
//     enrolment (public token id and SHA-256 fingerprint) of a token the owner generated.
//   - An account never approves, nor counts towards the quorum of, a proposal that changes its
//     own account.
//   - The proposer and approvers of an account's creation or token reset may not approve that
//     account's proposals for the cooling-off period.
//   - Disabling an account withdraws its pending proposals and voids its approvals.
//   - An owner rotates or revokes their own token alone (audited): nothing is gained by it.
//   - An owner adds or removes their own passkeys alone (audited, passkeys.go); a lost passkey is
//     removed by a reset_account_passkeys proposal of another admin, never of the owner.

// Policy is the governance policy as set_policy carries it: members left empty keep their
// value. Durations are Go durations ("168h").
type Policy struct {
	// Quorum is the number of distinct accounts, proposer included, that must agree (>= 2).
	Quorum int `json:"quorum,omitempty"`
	// CoolingOff is how long the enrollers of an account may not approve its proposals.
	CoolingOff string `json:"cooling_off,omitempty"`
	// TokenTTL is the lifetime of newly enrolled tokens.
	TokenTTL string `json:"token_ttl,omitempty"`
}

// policy is the governance policy in force.
type policy struct {
	quorum     int
	coolingOff time.Duration
	tokenTTL   time.Duration
}

func (p policy) wire() Policy {
	return Policy{Quorum: p.quorum, CoolingOff: p.coolingOff.String(), TokenTTL: p.tokenTTL.String()}
}

// merge returns p changed by the members set in w, validated; i is the operation index.
func (p policy) merge(i int, w *Policy) (policy, error) {
	if w == nil {
		return p, invalidf(i, "policy", "set_policy needs \"policy\"")
	}
	if w.Quorum != 0 {
		if w.Quorum < 2 || w.Quorum > 100 {
			return p, invalidf(i, "policy.quorum", "quorum %d must be from 2 to 100 (maker-checker needs two accounts)", w.Quorum)
		}
		p.quorum = w.Quorum
	}
	if w.CoolingOff != "" {
		d, err := time.ParseDuration(w.CoolingOff)
		if err != nil || d < 0 || d > 366*24*time.Hour {
			return p, invalidf(i, "policy.cooling_off", "cooling_off %q must be a duration from 0 to 8784h", w.CoolingOff)
		}
		p.coolingOff = d
	}
	if w.TokenTTL != "" {
		d, err := time.ParseDuration(w.TokenTTL)
		if err != nil || d < time.Hour || d > 366*24*time.Hour {
			return p, invalidf(i, "policy.token_ttl", "token_ttl %q must be a duration from 1h to 8784h", w.TokenTTL)
		}
		p.tokenTTL = d
	}
	return p, nil
}

// Policy returns the governance policy in force.
func (s *Service) Policy() Policy { return s.pol.Load().wire() }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// govPlan is what the governance operations of a change set write.
type govPlan struct {
	writes   []AccountWrite
	changes  []GovernanceChange
	rotate   bool
	policy   *policy
	disabled []string
}

// subjects returns the accounts the governance operations of cs change.
func subjects(cs ChangeSet) []string {
	var out []string
	for _, op := range cs.Ops {
		var n string
		switch op.Op {
		case OpCreateAccount, OpSetAccountRoles, OpResetAccountToken:
			if op.Account != nil {
				n = op.Account.Name
			}
		case OpDisableAccount, OpRevokeAccountToken, OpResetAccountPasskeys:
			n = op.ID
		}
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func hasOps(cs ChangeSet, governance bool) bool {
	return slices.ContainsFunc(cs.Ops, func(op Op) bool { return op.Op.Governance() == governance })
}

func validRoles(i int, roles []Role) error {
	if len(roles) == 0 {
		return invalidf(i, "account.roles", "at least one role is required")
	}
	for j, r := range roles {
		if !r.Valid() {
			return invalidf(i, fmt.Sprintf("account.roles[%d]", j), "unknown role %q (proposer, approver, auditor, admin)", r)
		}
	}
	return nil
}

func sortedRoles(roles []Role) []Role { return slices.Compact(slices.Sorted(slices.Values(roles))) }

// planGovernance checks the governance operations of cs against the stored accounts and the
// policy in force, and returns their writes. proposer and enrollers (the proposer and the
// counted approvers) are recorded on created accounts and reset tokens.
func (s *Service) planGovernance(ctx context.Context, cs ChangeSet, now time.Time, proposer string, enrollers []string) (*govPlan, error) {
	plan := &govPlan{}
	pol := *s.pol.Load()
	work := map[string]*Account{}
	before := map[string][]byte{}
	created := map[string]bool{}
	var order []string
	load := func(i int, name string) (*Account, error) {
		if a, ok := work[name]; ok {
			return a, nil
		}
		a, err := s.store.GetAccount(ctx, name)
		if err != nil {
			return nil, verr(ErrUnknownReference, fmt.Sprintf("ops[%d]", i), "unknown account %q", name)
		}
		work[name], before[name] = &a, a.auditJSON()
		order = append(order, name)
		return &a, nil
	}
	enrolled := map[string]string{}
	// fingerprintFree refuses a token fingerprint another account holds, or another operation
	// of cs enrols: a fingerprint names one account.
	fingerprintFree := func(i int, name, fp string) error {
		other, ok := enrolled[fp]
		if !ok {
			if a, err := s.store.AccountByTokenHash(ctx, fp); err == nil {
				other, ok = a.Name, true
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		if ok && other != name {
			return errs.Errorf(CodeAlreadyExists, "ops[%d].account.token_fingerprint: the token is enrolled for another account: %w", i, ErrExists).
				WithField(FieldPath, fmt.Sprintf("ops[%d].account.token_fingerprint", i))
		}
		enrolled[fp] = name
		return nil
	}
	needSpec := func(i int, op Op) error {
		if op.Account == nil {
			return invalidf(i, "account", "operation %s needs \"account\"", op.Op)
		}
		return nil
	}
	for i, op := range cs.Ops {
		if !op.Op.Governance() {
			continue
		}
		switch op.Op {
		case OpCreateAccount:
			if err := needSpec(i, op); err != nil {
				return nil, err
			}
			sp := op.Account
			if !validAccountName(sp.Name) {
				return nil, invalidf(i, "account.name", "account name %q must be 1-64 letters, digits, '.', '_' or '-'", sp.Name)
			}
			if err := validRoles(i, sp.Roles); err != nil {
				return nil, err
			}
			e := Enrolment{TokenID: sp.TokenID, Fingerprint: sp.TokenFingerprint}
			if err := e.validate(fmt.Sprintf("ops[%d].account", i)); err != nil {
				return nil, err
			}
			if _, err := s.store.GetAccount(ctx, sp.Name); err == nil || work[sp.Name] != nil {
				return nil, errs.Errorf(CodeAlreadyExists, "ops[%d]: account %q: %w", i, sp.Name, ErrExists)
			}
			if err := fingerprintFree(i, sp.Name, e.Fingerprint); err != nil {
				return nil, err
			}
			a := &Account{Name: sp.Name, Roles: sortedRoles(sp.Roles), CreatedAt: now, CreatedBy: proposer,
				EnrolledBy: slices.Clone(enrollers), EnrolledAt: now}
			a.setToken(e, now, pol.tokenTTL)
			work[sp.Name], created[sp.Name] = a, true
			order = append(order, sp.Name)
		case OpSetAccountRoles:
			if err := needSpec(i, op); err != nil {
				return nil, err
			}
			if err := validRoles(i, op.Account.Roles); err != nil {
				return nil, err
			}
			a, err := load(i, op.Account.Name)
			if err != nil {
				return nil, err
			}
			a.Roles = sortedRoles(op.Account.Roles)
		case OpDisableAccount, OpRevokeAccountToken:
			if op.Reason == "" {
				return nil, invalidf(i, "reason", "a reason is required to %s", op.Op)
			}
			a, err := load(i, op.ID)
			if err != nil {
				return nil, err
			}
			if op.Op == OpDisableAccount {
				if a.Disabled {
					return nil, verr(ErrTransition, fmt.Sprintf("ops[%d].id", i), "account %q is disabled already", op.ID)
				}
				a.Disabled = true
				plan.disabled = append(plan.disabled, a.Name)
			} else {
				if a.TokenHash == "" {
					return nil, verr(ErrTransition, fmt.Sprintf("ops[%d].id", i), "account %q has no token", op.ID)
				}
				a.clearToken()
			}
		case OpResetAccountPasskeys:
			a, err := planPasskeyReset(i, op, proposer, load)
			if err != nil {
				return nil, err
			}
			a.Passkeys = nil
		case OpResetAccountToken:
			if err := needSpec(i, op); err != nil {
				return nil, err
			}
			e := Enrolment{TokenID: op.Account.TokenID, Fingerprint: op.Account.TokenFingerprint}
			if err := e.validate(fmt.Sprintf("ops[%d].account", i)); err != nil {
				return nil, err
			}
			a, err := load(i, op.Account.Name)
			if err != nil {
				return nil, err
			}
			if err := fingerprintFree(i, a.Name, e.Fingerprint); err != nil {
				return nil, err
			}
			a.setToken(e, now, pol.tokenTTL)
			a.EnrolledBy, a.EnrolledAt = slices.Clone(enrollers), now
		case OpRotateRegistryKey:
			if plan.rotate {
				return nil, invalidf(i, "op", "the registry key rotates at most once per change set")
			}
			plan.rotate = true
			plan.changes = append(plan.changes, GovernanceChange{Op: op.Op, Subject: "registry-key"})
		case OpSetPolicy:
			prev := pol
			next, err := pol.merge(i, op.Policy)
			if err != nil {
				return nil, err
			}
			pol = next
			plan.policy = &pol
			b, _ := json.Marshal(prev.wire())
			a, _ := json.Marshal(next.wire())
			plan.changes = append(plan.changes, GovernanceChange{Op: op.Op, Subject: "policy", Before: b, After: a})
		}
	}
	for _, name := range order {
		a := work[name]
		ch := GovernanceChange{Op: opOf(cs, name), Subject: name, Before: before[name], After: a.auditJSON()}
		plan.writes = append(plan.writes, AccountWrite{Account: *a, Create: created[name]})
		plan.changes = append(plan.changes, ch)
	}
	return plan, nil
}

// opOf names the (last) governance operation of cs on account name.
func opOf(cs ChangeSet, name string) OpKind {
	var k OpKind
	for _, op := range cs.Ops {
		if slices.Contains(subjects(ChangeSet{Ops: []Op{op}}), name) {
			k = op.Op
		}
	}
	return k
}

// checkApprover enforces separation of duties for approver approving p: no approval of a
// change to one's own account; during the cooling-off period, no approval of the proposals of
// an account one enrolled (created or reset the token of), nor by that account of its
// enrollers' proposals, nor between two accounts enrolled by a common account.
func (s *Service) checkApprover(p *Proposal, proposer, approver Account, now time.Time) error {
	if slices.Contains(subjects(p.ChangeSet), approver.Name) {
		return errs.Errorf(CodeSeparationOfDuties, "proposal %s changes account %q: its owner may not approve it: %w", p.ID, approver.Name, ErrSeparationOfDuties)
	}
	cooling := s.pol.Load().coolingOff
	if until := proposer.EnrolledAt.Add(cooling); slices.Contains(proposer.EnrolledBy, approver.Name) && now.Before(until) {
		return errs.Errorf(CodeCoolingOff, "%q enrolled account %q: it may approve that account's proposals from %s: %w",
			approver.Name, proposer.Name, until.UTC().Format(time.RFC3339), ErrCoolingOff)
	}
	if until := approver.EnrolledAt.Add(cooling); slices.Contains(approver.EnrolledBy, proposer.Name) && now.Before(until) {
		return errs.Errorf(CodeCoolingOff, "account %q was enrolled by %q: it may approve that account's proposals from %s: %w",
			approver.Name, proposer.Name, until.UTC().Format(time.RFC3339), ErrCoolingOff)
	}
	if now.Before(approver.EnrolledAt.Add(cooling)) && now.Before(proposer.EnrolledAt.Add(cooling)) &&
		slices.ContainsFunc(approver.EnrolledBy, func(n string) bool { return slices.Contains(proposer.EnrolledBy, n) }) {
		return errs.Errorf(CodeCoolingOff, "accounts %q and %q were both enrolled by the same account within the cooling-off period: %w",
			approver.Name, proposer.Name, ErrCoolingOff)
	}
	return nil
}

// countingApprovers returns the approvals of p that count now: by enabled accounts still
// holding the roles the change set needs and passing checkApprover.
func (s *Service) countingApprovers(ctx context.Context, p *Proposal, proposer Account, now time.Time) ([]string, error) {
	var out []string
	for _, ap := range p.Approvals {
		a, err := s.store.GetAccount(ctx, ap.Account)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if a.Disabled || checkRoles(a, p.ChangeSet, RoleApprover) != nil || s.checkApprover(p, proposer, a, now) != nil {
			continue
		}
		out = append(out, a.Name)
	}
	return out, nil
}

// checkRoles checks that a holds the role the change set needs: base (proposer or approver)
// for registry operations, admin for governance operations.
func checkRoles(a Account, cs ChangeSet, base Role) error {
	if hasOps(cs, false) && !a.Has(base) {
		return errs.Errorf(CodeForbidden, "registry changes need the %s role: %w", base, ErrForbidden)
	}
	if hasOps(cs, true) && !a.Has(RoleAdmin) {
		return errs.Errorf(CodeForbidden, "governance operations (accounts, tokens, registry key, policy) need the admin role: %w", ErrForbidden)
	}
	return nil
}

// withdrawLocked marks p withdrawn because its proposer is disabled.
func (s *Service) withdrawLocked(ctx context.Context, p *Proposal, now time.Time, why string) error {
	p.Status, p.DecidedAt, p.DecidedBy, p.DecisionReason = ProposalWithdrawn, &now, "system", why
	if err := s.commitProposalLocked(ctx, p, OpWithdrawProposal, "system", why); err != nil {
		return err
	}
	s.log.Info("proposal withdrawn", "proposal", p.ID, "reason", why)
	return nil
}

// pendingOf returns the pending proposals of the given proposers, except skip.
func (s *Service) pendingOf(ctx context.Context, proposers []string, skip string) ([]*Proposal, error) {
	if len(proposers) == 0 {
		return nil, nil
	}
	ps, err := s.store.ListProposals(ctx, ProposalFilter{Status: ProposalPending})
	if err != nil {
		return nil, err
	}
	var out []*Proposal
	for _, p := range ps {
		if p.ID != skip && slices.Contains(proposers, p.Proposer) {
			out = append(out, p)
		}
	}
	return out, nil
}

// commitGovernanceLocked records an owner's act on their own account (token rotation or
// revocation) as the next registry version with its audit record, through the one commit path
// (the state digest is unchanged; the record is checkpointed like any other).
func (s *Service) commitGovernanceLocked(ctx context.Context, actor string, reason string, w AccountWrite, ch GovernanceChange) error {
	if err := s.brokenErr(); err != nil {
		return err
	}
	now := s.now().UTC()
	rec := AuditRecord{Proposer: actor, ProposedAt: now, AppliedAt: now, Reason: reason, Governance: []GovernanceChange{ch}}
	if err := s.commitRecordLocked(ctx, &rec, nil, []AccountWrite{w}); err != nil {
		return err
	}
	s.publishLocked(ctx)
	s.log.Info("governance change applied", "op", ch.Op, "account", ch.Subject, "version", rec.Version, "audit_seq", rec.Seq)
	return nil
}

// commitRecordLocked commits rec, which changes no registry object, with p and accounts (both
// optional) as the next registry version: the state is unchanged but for its version and
// update time (rec.AppliedAt).
func (s *Service) commitRecordLocked(ctx context.Context, rec *AuditRecord, p *Proposal, accounts []AccountWrite) error {
	cur := s.idx.Load().State()
	next := cur.clone()
	next.Version, next.UpdatedAt = cur.Version+1, rec.AppliedAt
	return s.commitLocked(ctx, cur, next, nil, rec, p, accounts, nil)
}

// RotateOwnToken replaces actor's token with the enrolled one (generated by the owner); the
// old token stops working at once. Audited; no approval is needed since nothing is gained.
func (s *Service) RotateOwnToken(ctx context.Context, actor Account, name string, e Enrolment) (TokenInfo, error) {
	if actor.Name != name {
		return TokenInfo{}, errs.Errorf(CodeForbidden, "only the owner rotates a token; another account's token is reset by a reset_account_token proposal: %w", ErrForbidden)
	}
	if err := e.validate("enrolment"); err != nil {
		return TokenInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.store.GetAccount(ctx, name)
	if err != nil {
		return TokenInfo{}, err
	}
	if a.Disabled {
		return TokenInfo{}, errs.Errorf(CodeUnauthorized, "account %q is disabled: %w", name, ErrUnauthenticated)
	}
	before := a.auditJSON()
	a.setToken(e, s.now().UTC(), s.pol.Load().tokenTTL)
	if err := s.commitGovernanceLocked(ctx, name, "token rotated by its owner", AccountWrite{Account: a},
		GovernanceChange{Op: OpRotateOwnToken, Subject: name, Before: before, After: a.auditJSON()}); err != nil {
		return TokenInfo{}, err
	}
	return s.tokenInfo(a), nil
}

// RevokeOwnToken revokes actor's own token at once (audited). The account stays enabled: a
// new token comes by a reset_account_token proposal (or mTLS keeps working).
func (s *Service) RevokeOwnToken(ctx context.Context, actor Account, name string) error {
	if actor.Name != name {
		return errs.Errorf(CodeForbidden, "only the owner revokes a token alone; another account's token is revoked by a revoke_account_token proposal: %w", ErrForbidden)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.store.GetAccount(ctx, name)
	if err != nil {
		return err
	}
	if a.TokenHash == "" {
		return verr(ErrTransition, "", "account %q has no token", name)
	}
	before := a.auditJSON()
	a.clearToken()
	return s.commitGovernanceLocked(ctx, name, "token revoked by its owner", AccountWrite{Account: a},
		GovernanceChange{Op: OpRevokeOwnToken, Subject: name, Before: before, After: a.auditJSON()})
}

func (s *Service) tokenInfo(a Account) TokenInfo {
	exp := a.tokenExpiry(s.pol.Load().tokenTTL)
	return TokenInfo{Account: a.Name, ID: a.TokenID, CreatedAt: a.tokenCreated(), ExpiresAt: exp,
		LastUsedAt: a.TokenLastUsedAt, Expired: !s.now().Before(exp)}
}

// TokenCurrent reports whether fingerprint (HashToken of a token) is a's token now: not
// replaced, revoked or expired, and the account enabled. A session opened with a token (the
// console's) ends when this stops holding, as the admin API refuses the token at once.
func (s *Service) TokenCurrent(a Account, fingerprint string) bool {
	return !a.Disabled && a.TokenHash != "" &&
		subtle.ConstantTimeCompare([]byte(a.TokenHash), []byte(fingerprint)) == 1 &&
		s.now().Before(a.tokenExpiry(s.pol.Load().tokenTTL))
}

// ListTokens lists the accounts' tokens without secrets: all of them for the admin and auditor
// roles, one's own otherwise.
func (s *Service) ListTokens(ctx context.Context, actor Account) ([]TokenInfo, error) {
	as, err := s.store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	all := actor.Has(RoleAdmin) || actor.Has(RoleAuditor)
	out := []TokenInfo{}
	for _, a := range as {
		if a.TokenHash == "" || !all && a.Name != actor.Name {
			continue
		}
		out = append(out, s.tokenInfo(a))
	}
	return out, nil
}

// touchToken records (to the minute) that a's token was used.
func (s *Service) touchToken(ctx context.Context, a Account) {
	now := s.now().UTC()
	if now.Sub(a.TokenLastUsedAt) < time.Minute {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.store.GetAccount(ctx, a.Name)
	if err != nil || cur.TokenHash != a.TokenHash {
		return
	}
	cur.TokenLastUsedAt = now.Truncate(time.Minute)
	if err := s.store.PutAccount(ctx, cur, false); err != nil {
		s.log.Warn("recording token use", "account", a.Name, "err", err)
	}
}

// CreateAccountOp is the operation creating account name with roles and the token enrolment
// its owner sent (never the token).
func CreateAccountOp(name string, roles []Role, e Enrolment) Op {
	return Op{Op: OpCreateAccount, Account: &AccountSpec{Name: name, Roles: roles, TokenID: e.TokenID, TokenFingerprint: e.Fingerprint}}
}

// SetAccountRolesOp is the operation replacing the roles of account name.
func SetAccountRolesOp(name string, roles []Role) Op {
	return Op{Op: OpSetAccountRoles, Account: &AccountSpec{Name: name, Roles: roles}}
}

// DisableAccountOp is the operation disabling account name.
func DisableAccountOp(name, reason string) Op {
	return Op{Op: OpDisableAccount, ID: name, Reason: reason}
}

// ResetAccountTokenOp is the operation enrolling a new token its owner generated for account name.
func ResetAccountTokenOp(name string, e Enrolment) Op {
	return Op{Op: OpResetAccountToken, Account: &AccountSpec{Name: name, TokenID: e.TokenID, TokenFingerprint: e.Fingerprint}}
}

// RevokeAccountTokenOp is the operation revoking the token of account name.
func RevokeAccountTokenOp(name, reason string) Op {
	return Op{Op: OpRevokeAccountToken, ID: name, Reason: reason}
}

// ResetAccountPasskeysOp is the operation removing every passkey of account name, whose owner
// lost them.
func ResetAccountPasskeysOp(name, reason string) Op {
	return Op{Op: OpResetAccountPasskeys, ID: name, Reason: reason}
}

// RotateRegistryKeyOp is the operation rotating the registry signing key.
func RotateRegistryKeyOp() Op { return Op{Op: OpRotateRegistryKey} }

// SetPolicyOp is the operation changing the governance policy.
func SetPolicyOp(p Policy) Op { return Op{Op: OpSetPolicy, Policy: &p} }
