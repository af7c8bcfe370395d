package crossborder

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/verifier"
)

// ForeignChallenge implements issuer.ForeignPresentationVerifier: a challenge of the verifier
// engine's challenge store (single use across the processes that share it).
func (v *Verifier) ForeignChallenge(ctx context.Context) (string, time.Time, error) {
	ch, exp, err := v.Verifier.IssueChallenge(ctx)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issuing an onboarding challenge: %w", err)
	}
	return ch, exp, nil
}

// VerifyForeignPresentation implements issuer.ForeignPresentationVerifier. The verifier's
// policy applies, with subject holder binding required: every credential's subject is the
// presenter (an SD-JWT VC: its key binding JWT by the cnf key), so that the local credential,
// whose subject is the foreign one, goes to the holder who proved it.
func (v *Verifier) VerifyForeignPresentation(ctx context.Context, presentation json.RawMessage, audience string) (issuer.ForeignResult, error) {
	pol := v.Verifier.Policy()
	pol.HolderBinding, pol.RequireHolderBinding = verifier.HolderBindingSubject, true
	r, err := v.Verifier.VerifyPresentation(ctx, presentation, verifier.PresentationOptions{Domain: audience, Policy: &pol})
	if err != nil {
		return issuer.ForeignResult{}, fmt.Errorf("verifying a foreign presentation: %w", err)
	}
	out := foreignResult(r)
	out.Holder = r.Holder
	if out.Verified {
		out.Credential = presentedCredential(presentation)
		if out.Holder == "" {
			out.Holder = r.Subject
		}
	}
	return out, nil
}

// presentedCredential returns the one credential a presentation carries, as
// issuer.ForeignDigest reads it: a compact token as a JSON string (an enveloped credential
// unwrapped; an SD-JWT as its issuer-signed JWT, without disclosures or key binding), or a
// JSON-LD credential object. It returns nil when the presentation carries none or several.
func presentedCredential(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	var items []string
	switch {
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		if i := strings.IndexByte(s, '~'); i >= 0 {
			return quote(s[:i])
		}
		vp, err := vcjwt.ParseVPJWT(s)
		if err != nil {
			return nil
		}
		items = vp.Credentials
	case len(raw) > 0 && raw[0] == '{':
		if vp, err := vcjwt.ParseVPJWT(string(raw)); err == nil {
			items = vp.Credentials
			break
		}
		var di struct {
			VC json.RawMessage `json:"verifiableCredential"`
		}
		if json.Unmarshal(raw, &di) != nil {
			return nil
		}
		var list []json.RawMessage
		if json.Unmarshal(di.VC, &list) != nil {
			list = []json.RawMessage{di.VC}
		}
		for _, it := range list {
			items = append(items, string(bytes.TrimSpace(it)))
		}
	}
	if len(items) != 1 || items[0] == "" || items[0] == "null" {
		return nil
	}
	c := items[0]
	switch c[0] {
	case '"': // a JSON string member of a Data Integrity presentation
		return json.RawMessage(c)
	case '{':
	default:
		return quote(c)
	}
	if env, err := vc.ParseEnveloped([]byte(c)); err == nil && !env.Presentation {
		return quote(strings.SplitN(env.Data, "~", 2)[0])
	}
	return json.RawMessage(c)
}

func quote(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
