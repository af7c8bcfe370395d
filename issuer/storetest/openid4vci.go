package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/errs"
)

// VCIStores is what RunOpenID4VCI tests: an OpenID4VCI Store and, when it is an
// openid4vci.RecordingStore, the issuer Store its records go to (nil otherwise).
type VCIStores struct {
	VCI    openid4vci.Store
	Engine issuer.Store
}

// RunOpenID4VCI runs the conformance suite of openid4vci.Store: lookups by id, code and token;
// single-use nonces consumed (recorded as used) only by an accepted update and refused once
// used or expired; a refused update saving only what its
// function asks (a counted wrong tx_code) and taking nothing; one winner among concurrent
// takers of a nonce or a configuration; purging; and, for a RecordingStore, issuance records
// written in the update's transaction only when it is accepted. newStores returns empty stores.
func RunOpenID4VCI(t *testing.T, newStores func(t *testing.T) VCIStores) {
	t.Run("Lookups", func(t *testing.T) { testVCILookups(t, newStores(t)) })
	t.Run("NonceSingleUse", func(t *testing.T) { testVCINonce(t, newStores(t)) })
	t.Run("RefusedUpdate", func(t *testing.T) { testVCIRefused(t, newStores(t)) })
	t.Run("ConcurrentTakers", func(t *testing.T) { testVCIConcurrent(t, newStores(t)) })
	t.Run("Purge", func(t *testing.T) { testVCIPurge(t, newStores(t)) })
	t.Run("Recording", func(t *testing.T) { testVCIRecording(t, newStores(t)) })
}

func offer(id string) *openid4vci.OfferRecord {
	return &openid4vci.OfferRecord{ID: id, CodeHash: "code-" + id, Type: "BusinessRegistration",
		Subject: map[string]any{"uen": "201912345K"}, Configurations: []string{"BusinessRegistration_sd_jwt"},
		Created: t0, Expires: t0.Add(10 * time.Minute)}
}

// nonce is a c_nonce (already checked by the Service) living until t0 plus a minute.
func nonce(v string) openid4vci.Nonce {
	return openid4vci.Nonce{Value: v, Expires: t0.Add(time.Minute)}
}

func mustPut(t *testing.T, s openid4vci.Store, rec *openid4vci.OfferRecord) {
	t.Helper()
	if err := s.PutOffer(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// redeem gives the offer an access token (indexed by the store).
func redeem(t *testing.T, s openid4vci.Store, id, token string) {
	t.Helper()
	err := s.UpdateOffer(context.Background(), openid4vci.Lookup{Kind: openid4vci.ByID, Value: id}, openid4vci.Nonce{}, t0, func(r *openid4vci.OfferRecord) (bool, error) {
		r.Redeemed, r.TokenHash, r.TokenExpires = true, token, t0.Add(5*time.Minute)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// issueOnce is the update of a credential request: the configuration once per token.
func issueOnce(r *openid4vci.OfferRecord) (bool, error) {
	if r.Issued["BusinessRegistration_sd_jwt"] > 0 {
		return false, errs.New(openid4vci.CodeRequestDenied, "already issued")
	}
	if r.Issued == nil {
		r.Issued = map[string]int{}
	}
	r.Issued["BusinessRegistration_sd_jwt"] = 1
	return true, nil
}

func testVCILookups(t *testing.T, st VCIStores) {
	ctx, s := context.Background(), st.VCI
	mustPut(t, s, offer("o1"))
	for _, l := range []openid4vci.Lookup{{Kind: openid4vci.ByID, Value: "o1"}, {Kind: openid4vci.ByCode, Value: "code-o1"}} {
		got, err := s.Offer(ctx, l)
		if err != nil || got.ID != "o1" || got.Subject["uen"] != "201912345K" {
			t.Fatalf("lookup %+v: %+v %v", l, got, err)
		}
	}
	for _, l := range []openid4vci.Lookup{{Kind: openid4vci.ByID, Value: "nope"}, {Kind: openid4vci.ByCode, Value: "nope"},
		{Kind: openid4vci.ByToken, Value: "tok"}, {Kind: openid4vci.ByToken, Value: ""}} {
		if _, err := s.Offer(ctx, l); errs.CodeOf(err) != openid4vci.CodeOfferNotFound {
			t.Fatalf("lookup %+v: %v, want offer_not_found", l, err)
		}
	}
	redeem(t, s, "o1", "tok")
	got, err := s.Offer(ctx, openid4vci.Lookup{Kind: openid4vci.ByToken, Value: "tok"})
	if err != nil || !got.Redeemed {
		t.Fatalf("by token after redemption: %+v %v", got, err)
	}
	// Records are copied in and out: changing a returned record changes nothing stored.
	got.Subject["uen"] = "changed"
	again, _ := s.Offer(ctx, openid4vci.Lookup{Kind: openid4vci.ByID, Value: "o1"})
	if again.Subject["uen"] != "201912345K" {
		t.Fatal("the store handed out its own record")
	}
}

func testVCINonce(t *testing.T, st VCIStores) {
	ctx, s := context.Background(), st.VCI
	mustPut(t, s, offer("o1"))
	redeem(t, s, "o1", "tok")
	l := openid4vci.Lookup{Kind: openid4vci.ByToken, Value: "tok"}
	accept := func(*openid4vci.OfferRecord) (bool, error) { return true, nil }
	if err := s.UpdateOffer(ctx, l, nonce("n1"), t0.Add(time.Minute), accept); errs.CodeOf(err) != openid4vci.CodeInvalidNonce {
		t.Fatalf("expired nonce: %v", err)
	}
	if err := s.UpdateOffer(ctx, l, nonce("n1"), t0, accept); err != nil {
		t.Fatalf("fresh nonce: %v", err)
	}
	if err := s.UpdateOffer(ctx, l, nonce("n1"), t0, accept); errs.CodeOf(err) != openid4vci.CodeInvalidNonce {
		t.Fatalf("nonce used twice: %v", err)
	}
}

func testVCIRefused(t *testing.T, st VCIStores) {
	ctx, s := context.Background(), st.VCI
	mustPut(t, s, offer("o1"))
	wrong := errs.New(openid4vci.CodeInvalidGrant, "wrong tx_code")
	l := openid4vci.Lookup{Kind: openid4vci.ByCode, Value: "code-o1"}
	// A refusal that counts (save true): the count is kept, the nonce is not taken.
	err := s.UpdateOffer(ctx, l, nonce("n1"), t0, func(r *openid4vci.OfferRecord) (bool, error) {
		r.TxFailures++
		return true, wrong
	})
	if !errors.Is(err, wrong) && errs.CodeOf(err) != openid4vci.CodeInvalidGrant {
		t.Fatalf("refused update: %v", err)
	}
	got, _ := s.Offer(ctx, l)
	if got.TxFailures != 1 {
		t.Fatalf("the refusal was not counted: %d", got.TxFailures)
	}
	// A refusal that saves nothing changes nothing.
	_ = s.UpdateOffer(ctx, l, nonce("n1"), t0, func(r *openid4vci.OfferRecord) (bool, error) {
		r.TxFailures = 99
		return false, wrong
	})
	if got, _ := s.Offer(ctx, l); got.TxFailures != 1 {
		t.Fatalf("an unsaved refusal changed the offer: %d", got.TxFailures)
	}
	// The nonce is still unused for the accepted update.
	if err := s.UpdateOffer(ctx, l, nonce("n1"), t0, func(*openid4vci.OfferRecord) (bool, error) { return false, nil }); err != nil {
		t.Fatalf("the refused updates took the nonce: %v", err)
	}
}

func testVCIConcurrent(t *testing.T, st VCIStores) {
	ctx, s := context.Background(), st.VCI
	mustPut(t, s, offer("o1"))
	redeem(t, s, "o1", "tok")
	const n = 16
	l := openid4vci.Lookup{Kind: openid4vci.ByToken, Value: "tok"}
	var nonceWins, confWins atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() { // all race for one nonce
			defer wg.Done()
			if s.UpdateOffer(ctx, l, nonce("n0"), t0, func(*openid4vci.OfferRecord) (bool, error) { return false, nil }) == nil {
				nonceWins.Add(1)
			}
		}()
		go func() { // all race for one configuration, each with its own nonce
			defer wg.Done()
			if s.UpdateOffer(ctx, l, nonce(fmt.Sprintf("n%d", 1+i%(n-1))), t0, issueOnce) == nil {
				confWins.Add(1)
			}
		}()
	}
	wg.Wait()
	if nonceWins.Load() != 1 || confWins.Load() != 1 {
		t.Fatalf("winners: nonce %d, configuration %d; want one each", nonceWins.Load(), confWins.Load())
	}
}

func testVCIPurge(t *testing.T, st VCIStores) {
	ctx, s := context.Background(), st.VCI
	mustPut(t, s, offer("old"))
	mustPut(t, s, offer("live"))
	redeem(t, s, "live", "tok") // token lives to t0+5m, code to t0+10m
	// Consume two nonces: one expiring before the purge, one after it.
	keep := func(*openid4vci.OfferRecord) (bool, error) { return false, nil }
	live := openid4vci.Lookup{Kind: openid4vci.ByID, Value: "live"}
	if err := s.UpdateOffer(ctx, live, nonce("n-old"), t0, keep); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateOffer(ctx, live, openid4vci.Nonce{Value: "n-live", Expires: t0.Add(time.Hour)}, t0, keep); err != nil {
		t.Fatal(err)
	}
	// Move "old" into the past: its code expired and it never had a token.
	_ = s.UpdateOffer(ctx, openid4vci.Lookup{Kind: openid4vci.ByID, Value: "old"}, openid4vci.Nonce{}, t0, func(r *openid4vci.OfferRecord) (bool, error) {
		r.Expires = t0.Add(time.Minute)
		return true, nil
	})
	n, err := s.Purge(ctx, t0.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("purge: %d %v, want 2 (one offer, one nonce)", n, err)
	}
	if _, err := s.Offer(ctx, openid4vci.Lookup{Kind: openid4vci.ByCode, Value: "code-old"}); errs.CodeOf(err) != openid4vci.CodeOfferNotFound {
		t.Fatalf("purged offer still found by code: %v", err)
	}
	if _, err := s.Offer(ctx, openid4vci.Lookup{Kind: openid4vci.ByToken, Value: "tok"}); err != nil {
		t.Fatalf("live offer purged: %v", err)
	}
	// The record of a used nonce that has not expired survives the purge: it stays refused.
	if err := s.UpdateOffer(ctx, live, openid4vci.Nonce{Value: "n-live", Expires: t0.Add(time.Hour)}, t0.Add(2*time.Minute), keep); errs.CodeOf(err) != openid4vci.CodeInvalidNonce {
		t.Fatalf("a used, unexpired nonce after a purge: %v, want invalid_nonce", err)
	}
}

func testVCIRecording(t *testing.T, st VCIStores) {
	rs, ok := st.VCI.(openid4vci.RecordingStore)
	if !ok {
		t.Skip("not a RecordingStore: the engine records its credentials itself")
	}
	if st.Engine == nil {
		t.Fatal("a RecordingStore needs the engine store it records to")
	}
	ctx := context.Background()
	mustPut(t, rs, offer("o1"))
	redeem(t, rs, "o1", "tok")
	l := openid4vci.Lookup{Kind: openid4vci.ByToken, Value: "tok"}
	r1 := rec("urn:uuid:vci-1", 1, 7, "k1", t0.Add(time.Hour))
	if err := rs.UpdateOfferRecording(ctx, l, nonce("n1"), t0, issueOnce, []issuer.IssueRecord{r1}); err != nil {
		t.Fatal(err)
	}
	if got, found, err := st.Engine.Credential(ctx, r1.ID); err != nil || !found || got.Status != r1.Status {
		t.Fatalf("record of an accepted update: %+v %v %v", got, found, err)
	}
	// Refused by fn (already issued): no record, nonce kept.
	r2 := rec("urn:uuid:vci-2", 1, 8, "k1", t0.Add(time.Hour))
	if err := rs.UpdateOfferRecording(ctx, l, nonce("n2"), t0, issueOnce, []issuer.IssueRecord{r2}); errs.CodeOf(err) != openid4vci.CodeRequestDenied {
		t.Fatalf("second issuance: %v", err)
	}
	if _, found, _ := st.Engine.Credential(ctx, r2.ID); found {
		t.Fatal("a refused update wrote its record")
	}
	// Refused for the nonce (used): no record.
	r3 := rec("urn:uuid:vci-3", 1, 9, "k1", t0.Add(time.Hour))
	accept := func(*openid4vci.OfferRecord) (bool, error) { return true, nil }
	if err := rs.UpdateOfferRecording(ctx, l, nonce("n1"), t0, accept, []issuer.IssueRecord{r3}); errs.CodeOf(err) != openid4vci.CodeInvalidNonce {
		t.Fatalf("used nonce: %v", err)
	}
	if _, found, _ := st.Engine.Credential(ctx, r3.ID); found {
		t.Fatal("an update refused for its nonce wrote its record")
	}
	// A record whose status index is taken fails the whole update: the nonce stays.
	taken := rec("urn:uuid:vci-4", 1, 7, "k1", t0.Add(time.Hour))
	if err := rs.UpdateOfferRecording(ctx, l, nonce("n2"), t0, accept, []issuer.IssueRecord{taken}); !errors.Is(err, issuer.ErrIndexTaken) && errs.CodeOf(err) != issuer.CodeIndexTaken {
		t.Fatalf("taken index: %v", err)
	}
	if err := rs.UpdateOffer(ctx, l, nonce("n2"), t0, accept); err != nil {
		t.Fatalf("the failed update took the nonce: %v", err)
	}
}
