package issuer_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/idport/idport/issuer"
)

// An issuer in-process: open a data directory, issue a BusinessRegistration credential as
// VC-JOSE-COSE, then revoke it. Over HTTP the same happens through POST /credentials/issue
// and POST /credentials/status with an API key from CreateAPIKey.
func Example() {
	dir, _ := os.MkdirTemp("", "idport-issuer-example")
	defer os.RemoveAll(dir)
	svc, err := issuer.NewService(issuer.Config{
		DataDir: dir,
		BaseURL: "https://registry.example.sg", // the issuer is did:web:registry.example.sg
		Secret:  []byte("a secret of at least 16 bytes, from a file in production"),
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Close()
	ctx := context.Background()
	cred, err := svc.Issuer().Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: map[string]any{
		"uen": "201912345K", "legalName": "Lion City Robotics Pte. Ltd.", "registeredAddress": "1 Fusionopolis Way",
		"incorporationDate": "2019-04-01", "entityType": "Private Company Limited by Shares"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(svc.DID(), cred.Format, cred.Type)
	st, err := svc.Issuer().ChangeStatus(ctx, nil, cred.ID, issuer.ActionRevoke)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.State, st.Changed)
	// Output:
	// did:web:registry.example.sg vc+jwt BusinessRegistration
	// revoked true
}
