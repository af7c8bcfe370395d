package issuer_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
)

// An issuer in-process: open its bbolt store in a data directory, issue a
// BusinessRegistration credential as VC-JOSE-COSE, then revoke it. Over HTTP (issuer/httpapi)
// the same happens through POST /credentials/issue and POST /credentials/status with an API
// key from CreateAPIKey.
func Example() {
	dir, _ := os.MkdirTemp("", "idport-issuer-example")
	defer os.RemoveAll(dir)
	st, err := boltstore.Open(filepath.Join(dir, boltstore.DBFile), boltstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	ctx := context.Background()
	is, err := issuer.New(ctx, issuer.Config{
		Store:   st,
		BaseURL: "https://registry.example.sg", // the issuer is did:web:registry.example.sg
		Secret:  []byte("32 or more random bytes, from a file in production"),
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer is.Close()
	cred, err := is.Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: map[string]any{
		"uen": "201912345K", "legalName": "Lion City Robotics Pte. Ltd.", "registeredAddress": "1 Fusionopolis Way",
		"incorporationDate": "2019-04-01", "entityType": "Private Company Limited by Shares"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(is.DID(), cred.Format, cred.Type)
	res, err := is.ChangeStatus(ctx, nil, cred.ID, issuer.ActionRevoke)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.State, res.Changed)
	// Output:
	// did:web:registry.example.sg vc+jwt BusinessRegistration
	// revoked true
}
