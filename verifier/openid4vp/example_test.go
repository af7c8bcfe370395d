package openid4vp_test

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/dcql"
	"github.com/idport/idport/verifier/openid4vp"
)

// A verifier hosting its own endpoints: build a request, serve its request
// object, then verify the wallet's direct_post.
func Example() {
	v, _ := verifier.New(verifier.Config{})
	q, err := dcql.Parse([]byte(`{"credentials":[{"id":"pid","format":"dc+sd-jwt",
		"meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["age_over_18"],"values":[true]}]}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	req, err := openid4vp.NewRequest(openid4vp.Params{
		Query: q, ResponseURI: "https://rp.example/openid4vp/response/42", ResponseMode: openid4vp.DirectPost,
	}, time.Now())
	if err != nil {
		fmt.Println(err)
		return
	}
	obj, _ := req.Object(nil, time.Now()) // serve at the request URI
	_ = obj
	fmt.Println(req.ClientID)

	// The wallet posts its form to the response URI; here one answering
	// with nothing useful.
	form := url.Values{"vp_token": {`{"pid":["not-a-presentation~"]}`}, "state": {req.State}}
	resp, err := openid4vp.ParseResponse(form, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := openid4vp.VerifyResponse(context.Background(), v, req, resp, openid4vp.Options{}); err != nil {
		fmt.Println("refused:", err != nil)
	}
	// Output:
	// redirect_uri:https://rp.example/openid4vp/response/42
	// refused: true
}
