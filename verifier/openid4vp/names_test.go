package openid4vp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"testing"

	"github.com/idport/idport/verifier/dcql"
	"github.com/idport/idport/verifier/openid4vp"
)

// TestResponseNamesTwice: a vp_token that names a credential query twice,
// or a decrypted direct_post.jwt payload that names vp_token or state
// twice, is refused: encoding/json would keep the last copy, while
// another reader of the same response (a log, an audit trail, a proxy)
// may keep the first.
func TestResponseNamesTwice(t *testing.T) {
	f := newFixture(t)
	plain := f.request(t, openid4vp.DirectPost, false)
	enc := f.request(t, openid4vp.DirectPostJWT, false)
	good := strconv.Quote(f.present(t, []string{"given_name", "resident"}, plain.Nonce, plain.ClientID))
	goodEnc := strconv.Quote(f.present(t, []string{"given_name", "resident"}, enc.Nonce, enc.ClientID))
	for name, form := range map[string]url.Values{
		"query id twice in vp_token": {"vp_token": {`{"resident":["x~"],"resident":[` + good + `]}`}, "state": {plain.State}},
		"vp_token twice in the encrypted payload": {"response": {encrypt(t, enc, json.RawMessage(
			`{"vp_token":{"resident":["x~"]},"vp_token":{"resident":[`+goodEnc+`]},"state":`+strconv.Quote(enc.State)+`}`))}},
		"state twice in the encrypted payload": {"response": {encrypt(t, enc, json.RawMessage(
			`{"vp_token":{"resident":[`+goodEnc+`]},"state":"other","state":`+strconv.Quote(enc.State)+`}`))}},
		"query id twice in the encrypted vp_token": {"response": {encrypt(t, enc, json.RawMessage(
			`{"vp_token":{"resident":["x~"],"resident":[`+goodEnc+`]},"state":`+strconv.Quote(enc.State)+`}`))}},
	} {
		req := plain
		if form.Has("response") {
			req = enc
		}
		if _, err := openid4vp.ParseResponse(form, req); !errors.Is(err, openid4vp.ErrInvalidResponse) {
			t.Errorf("%s: %v, want ErrInvalidResponse", name, err)
		}
	}
	// The same responses with each name once are read.
	if _, err := openid4vp.ParseResponse(url.Values{"vp_token": {`{"resident":[` + good + `]}`}, "state": {plain.State}}, plain); err != nil {
		t.Fatalf("plain: %v", err)
	}
	form := url.Values{"response": {encrypt(t, enc, json.RawMessage(`{"vp_token":{"resident":[`+goodEnc+`]},"state":`+strconv.Quote(enc.State)+`}`))}}
	if _, err := openid4vp.ParseResponse(form, enc); err != nil {
		t.Fatalf("encrypted: %v", err)
	}
}

// TestResponseShapeAttacks: a vp_token that answers a query id the request
// did not ask for (beside a good answer), gives two presentations to a
// query that asks for one, or gives none, is refused before or by DCQL.
func TestResponseShapeAttacks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := f.request(t, openid4vp.DirectPost, false)
	good := strconv.Quote(f.present(t, []string{"given_name", "resident"}, req.Nonce, req.ClientID))
	again := strconv.Quote(f.present(t, []string{"given_name", "resident"}, req.Nonce, req.ClientID))
	for name, tc := range map[string]struct {
		vpToken string
		want    error
	}{
		"an id not asked for beside the answer": {`{"resident":[` + good + `],"extra":[` + again + `]}`, dcql.ErrNotSatisfied},
		"only an id not asked for":              {`{"extra":[` + good + `]}`, dcql.ErrNotSatisfied},
		"two presentations for one":             {`{"resident":[` + good + `,` + again + `]}`, dcql.ErrNotSatisfied},
		"an empty answer":                       {`{"resident":[]}`, openid4vp.ErrInvalidResponse},
		"no answer at all":                      {`{}`, dcql.ErrNotSatisfied},
		"null":                                  {`null`, openid4vp.ErrInvalidResponse},
		"null amid white space":                 {" null\n", openid4vp.ErrInvalidResponse},
		"a presentation that is an object":      {`{"resident":[{"type":"VerifiablePresentation"}]}`, nil},
	} {
		resp, err := openid4vp.ParseResponse(url.Values{"vp_token": {tc.vpToken}, "state": {req.State}}, req)
		if err == nil {
			_, err = openid4vp.VerifyResponse(ctx, f.v, req, resp, openid4vp.Options{})
		}
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}
