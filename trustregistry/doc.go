// Package trustregistry is the idport trust registry's core: the model (jurisdictions,
// schemes, authorities, agreements, recognitions), change sets and their validation, the
// decision index answering "is this issuer trusted for this credential type here, now?", the
// hash-chained audit log, signed snapshots, and the Service that runs it all over a Store: the
// maker-checker admin workflow, account tokens, snapshot publication with long-poll
// notification and online backups.
//
// The package knows nothing of HTTP or of any storage engine. Stores live in boltstore,
// etcdstore and memstore (opened from configuration by storeconfig); the HTTP API in httpapi;
// the verifiers' pinned-key replica in replica; the admin API's Go client in adminclient.
//
//	st, err := boltstore.Open(filepath.Join(dir, storeconfig.DBFile), boltstore.Options{})
//	svc, err := trustregistry.NewService(trustregistry.Config{Store: st, KeySecret: secret})
//	go svc.Run(ctx)
//	http.ListenAndServe(addr, httpapi.New(svc, httpapi.Options{}, logger))
//
// Errors carry stable pkg/errs codes (the Code constants below); errors.Is matches them against
// the sentinel errors (ErrNotFound, ErrForbidden, ...).
package trustregistry
