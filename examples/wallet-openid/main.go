// Command wallet-openid tells the wallet path of idport: a Singapore company's wallet receives
// its BusinessRegistration credential from the Singapore issuer through OpenID4VCI 1.0
// (pre-authorized code with a tx_code, proof of possession of the wallet's key) and presents it
// through OpenID4VP 1.0 to a Lingang verifier whose DCQL query asks only for the legal name and
// the registration number (uen); the relying party reads the registry's recognition grounds,
// and a presentation that discloses more than asked is refused.
//
//	go run ./examples/wallet-openid
//
// The wallet is internal/wallet: Go over HTTP with the public packages pkg/keys, pkg/vcjwt and
// pkg/did, as any wallet could be. The services are real (registry, issuer, verifier on
// loopback, each with its bbolt file); the program exits non-zero on any unexpected outcome.
package main

import (
	"context"
	"io"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/verifier"
)

func main() { stack.Main(run) }

// rpAPIKey is the Lingang relying party's key for the verifier's OpenID4VP endpoints.
const rpAPIKey = "lingang-rp-example-key-0123456789"

func run(ctx context.Context, w io.Writer) error {
	t := &stack.Teller{W: w}
	s, reg, sg, version, err := stack.NewDemoWorld(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	defer s.Close()

	t.Step("Lingang's trust registry recognises the Singapore registrar; its issuer and Lingang's verifier start")
	v, err := s.StartVerifierWith(ctx, "lingang-verifier", reg, stack.VerifierOptions{OpenID4VPAPIKey: rpAPIKey,
		Policy: verifier.Policy{LocalScheme: demoseed.LocalScheme, AssuranceLevels: []string{"L1", "L2", "L3"}, MinAssurance: "L3"}})
	if err != nil {
		return err
	}
	t.Say("registry %s at version %d: %s may issue %s (and its SD-JWT VC type %s)", reg.URL, version, demoseed.AuthorityID, demoseed.Type, demoseed.VCT(sg.URL))
	t.Say("issuer %s signs as %s; verifier %s serves OpenID4VP to relying parties holding its API key", sg.URL, stack.Short(sg.DID), v.URL)

	res, err := stack.WalletStory(ctx, t, sg, v)
	if err != nil {
		return err
	}
	r := res.Accepted.Recognition
	t.Outcome("presented over OpenID4VP: HTTP 200 verified, recognised as %s in %s, uen mapped to registrationNumber=%v, %s withheld",
		r.Authority, r.Jurisdiction, res.Accepted.Claims["registrationNumber"], res.Withheld[0])
	t.Outcome("over-disclosure refused: HTTP 400 %s", res.Refused)
	return nil
}
