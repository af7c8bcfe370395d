package openid4vp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/dcql"
	"github.com/idport/idport/verifier/internal/testutil"
	"github.com/idport/idport/verifier/openid4vp"
)

// The attacks here are wallets that answer a DCQL query for one array
// element, or for one of two claims whose dotted names coincide, with more
// than was asked: the over-disclosure check compares structured paths
// (names and indexes), not dotted strings.

type disc = testutil.Disclosure

func mkDisc(t testing.TB, parts ...any) disc { return testutil.NewDisclosure(t, parts...) }

func elem(d disc) map[string]any { return d.Element() }

func (f *fixture) sdIssue(t testing.TB, claims map[string]any) string {
	return f.issuer.SDJWTIssuerJWT(t, vct, claims, f.holder)
}

func (f *fixture) wallet(t testing.TB, jwt string, req *openid4vp.Request, show ...disc) string {
	return f.holder.PresentDisclosures(t, jwt, req.Nonce, req.ClientID, show...)
}

// pathRequest is a direct_post request whose query asks for the claims
// at paths (JSON arrays) of the fixture's credential type.
func (f *fixture) pathRequest(t testing.TB, paths ...string) *openid4vp.Request {
	t.Helper()
	var claims []string
	for _, p := range paths {
		claims = append(claims, `{"path":`+p+`}`)
	}
	q, err := dcql.Parse([]byte(`{"credentials":[{"id":"resident","format":"dc+sd-jwt","meta":{"vct_values":["` + vct + `"]},"claims":[` + strings.Join(claims, ",") + `]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := openid4vp.NewRequest(openid4vp.Params{Query: q, ResponseURI: "https://verifier.example/openid4vp/response/tx1", ResponseMode: openid4vp.DirectPost}, testutil.Now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) answer(t testing.TB, req *openid4vp.Request, p string, od openid4vp.OverDisclosure) (*verifier.Result, error) {
	t.Helper()
	resp, err := openid4vp.ParseResponse(url.Values{"vp_token": {vpToken("resident", p)}, "state": {req.State}}, req)
	if err != nil {
		t.Fatal(err)
	}
	return openid4vp.VerifyResponse(context.Background(), f.v, req, resp, openid4vp.Options{OverDisclosure: od})
}

// structFixture is the fixture with an authority that lets the claims of
// these attacks cross the border.
func structFixture(t testing.TB) *fixture {
	t.Helper()
	f := newFixture(t)
	auth := f.issuer.Authority()
	auth.AllowedClaims = nil
	v, err := verifier.New(verifier.Config{TrustSource: verifier.NewStaticTrust(3, auth), Clock: testutil.Clock,
		StatusFetcher: &testutil.Status{Values: map[string]uint8{}}})
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	return f
}

func TestArrayElementOverDisclosure(t *testing.T) {
	f := structFixture(t)
	cn, hk, sg := mkDisc(t, "s0", "CN"), mkDisc(t, "s1", "HK"), mkDisc(t, "s2", "SG")
	jwt := f.sdIssue(t, map[string]any{"given_name": "Mei", "nationalities": []any{elem(cn), elem(hk), elem(sg)}})

	first := f.pathRequest(t, `["nationalities",0]`)
	// Element 0 alone answers the query.
	if res, err := f.answer(t, first, f.wallet(t, jwt, first, cn), openid4vp.RefuseOverDisclosure); err != nil || !res.Verified {
		t.Fatalf("element 0 alone: %v %+v", err, res)
	}
	// Elements 0 and 1 for a query of element 0: refused.
	both := f.wallet(t, jwt, first, cn, hk)
	_, err := f.answer(t, first, both, openid4vp.RefuseOverDisclosure)
	if !errors.Is(err, openid4vp.ErrOverDisclosure) || !strings.Contains(err.Error(), "nationalities[1]") || strings.Contains(err.Error(), "nationalities[0]") {
		t.Fatalf("elements 0 and 1 for element 0: %v", err)
	}
	// Withheld: element 1 goes, element 0 stays.
	res, err := f.answer(t, first, both, openid4vp.WithholdOverDisclosure)
	if err != nil || !res.Verified || !res.HasWarning(verifier.CodeClaimStripped) {
		t.Fatalf("withhold: %v %+v", err, res)
	}
	if got, _ := json.Marshal(res.Claims["nationalities"]); string(got) != `["CN"]` || !slices.Equal(res.Stripped, []string{"nationalities[1]"}) {
		t.Fatalf("withheld: nationalities %s stripped %v", got, res.Stripped)
	}
	// The wallet cannot make element 1 pass as element 0 by leaving element 0
	// out: it discloses one element, the first of what it shows.
	if res, err := f.answer(t, first, f.wallet(t, jwt, first, sg), openid4vp.RefuseOverDisclosure); err != nil || !res.Verified {
		t.Fatalf("one other element: %v %+v", err, res)
	}

	// Every element under a null wildcard: accepted.
	all := f.pathRequest(t, `["nationalities",null]`)
	res, err = f.answer(t, all, f.wallet(t, jwt, all, cn, hk, sg), openid4vp.RefuseOverDisclosure)
	if err != nil || !res.Verified {
		t.Fatalf("wildcard: %v %+v", err, res)
	}
	if got, _ := json.Marshal(res.Claims["nationalities"]); string(got) != `["CN","HK","SG"]` {
		t.Fatalf("wildcard: nationalities %s", got)
	}
}

func TestNestedArrayElementOverDisclosure(t *testing.T) {
	f := structFixture(t)
	c0, c1 := mkDisc(t, "s0", "city", "Hong Kong"), mkDisc(t, "s1", "city", "Singapore")
	jwt := f.sdIssue(t, map[string]any{"addresses": []any{
		map[string]any{"country": "HK", "_sd": []any{c0.Digest}},
		map[string]any{"country": "SG", "_sd": []any{c1.Digest}},
	}})
	req := f.pathRequest(t, `["addresses",0,"city"]`)
	if res, err := f.answer(t, req, f.wallet(t, jwt, req, c0), openid4vp.RefuseOverDisclosure); err != nil || !res.Verified {
		t.Fatalf("element 0's city: %v %+v", err, res)
	}
	over := f.wallet(t, jwt, req, c0, c1)
	if _, err := f.answer(t, req, over, openid4vp.RefuseOverDisclosure); !errors.Is(err, openid4vp.ErrOverDisclosure) || !strings.Contains(err.Error(), "addresses[1].city") {
		t.Fatalf("another element's city: %v", err)
	}
	res, err := f.answer(t, req, over, openid4vp.WithholdOverDisclosure)
	if err != nil || !res.Verified {
		t.Fatalf("withhold: %v %+v", err, res)
	}
	if got, _ := json.Marshal(res.Claims["addresses"]); string(got) != `[{"city":"Hong Kong","country":"HK"},{"country":"SG"}]` {
		t.Fatalf("withheld: addresses %s", got)
	}
}

func TestDottedNameOverDisclosure(t *testing.T) {
	f := structFixture(t)
	dotted, member := mkDisc(t, "s0", "a.b", "dotted"), mkDisc(t, "s1", "b", "member")
	jwt := f.sdIssue(t, map[string]any{"_sd": []any{dotted.Digest}, "a": map[string]any{"_sd": []any{member.Digest}}})
	for _, tc := range []struct {
		name, path string
		asked      disc
		extra      disc
	}{
		{"a.b disclosed for [a, b]", `["a","b"]`, member, dotted},
		{"a's b disclosed for [a.b]", `["a.b"]`, dotted, member},
	} {
		req := f.pathRequest(t, tc.path)
		if res, err := f.answer(t, req, f.wallet(t, jwt, req, tc.asked), openid4vp.RefuseOverDisclosure); err != nil || !res.Verified {
			t.Errorf("%s: the asked claim alone: %v %+v", tc.name, err, res)
		}
		if _, err := f.answer(t, req, f.wallet(t, jwt, req, tc.asked, tc.extra), openid4vp.RefuseOverDisclosure); !errors.Is(err, openid4vp.ErrOverDisclosure) {
			t.Errorf("%s: err = %v, want ErrOverDisclosure", tc.name, err)
		}
	}
	// The withheld dotted claim is named unambiguously.
	req := f.pathRequest(t, `["a","b"]`)
	res, err := f.answer(t, req, f.wallet(t, jwt, req, member, dotted), openid4vp.WithholdOverDisclosure)
	if err != nil || res.Claims["a.b"] != nil || !slices.Equal(res.Stripped, []string{`["a.b"]`}) {
		t.Fatalf("withhold: %v %+v", err, res)
	}
	if got, _ := json.Marshal(res.Claims["a"]); string(got) != `{"b":"member"}` {
		t.Fatalf("withhold: a %s", got)
	}
}
