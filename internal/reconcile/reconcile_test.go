package reconcile_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/reconcile"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// now is 2026-11-24 12:00 UTC: a lookback of 7 days covers 2026-11-18 to 2026-11-24.
var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// at is hour h of day d of November 2026, UTC.
func at(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }

var integration = trackly.Integration{IntegrationID: integrationID, AccountID: "acct", ClickParam: "aff_sub", DefaultCurrency: "GBP", Reconcile: true}

// clicks are the click ids a test's rows carry.
type clicks struct {
	stored, unstored, otherIntegration, forged string
}

func newClicks(t *testing.T, f *fixture) clicks {
	c := clicks{
		stored:           clickOf(t, signer, linkID),
		unstored:         clickOf(t, signer, linkID),
		otherIntegration: clickOf(t, signer, otherLinkID),
		forged:           clickOf(t, mustSigner("someone else's key of 32+ bytes!!"), linkID),
	}
	f.st.clicks[c.stored] = trackly.Click{ClickID: c.stored, LinkID: linkID, Placement: f.st.links[linkID].Placement,
		CreatedAt: at(17, 9), AttributableUntil: at(17, 9).AddDate(0, 0, 30)}
	return c
}

// recordedTx1 records conversion tx-1 of the stored click, received on the 20th.
func recordedTx1(status trackly.ConversionStatus, payout string) func(*testing.T, clicks) []trackly.Conversion {
	return func(t *testing.T, c clicks) []trackly.Conversion {
		return []trackly.Conversion{recorded(t, "tx-1", c.stored, status, payout, at(20, 9))}
	}
}

// listedTx1 lists conversion tx-1 of the stored click, dated the 20th, in TUNE's report.
func listedTx1(status trackly.ConversionStatus, payout string) func(*testing.T, clicks) []tune.ReportConversion {
	return func(t *testing.T, c clicks) []tune.ReportConversion {
		return []tune.ReportConversion{row(t, "tx-1", c.stored, status, payout, at(20, 9))}
	}
}

func TestReconcile(t *testing.T) {
	tests := []struct {
		name       string
		recorded   func(t *testing.T, c clicks) []trackly.Conversion
		rows       func(t *testing.T, c clicks) []tune.ReportConversion
		want       counts
		wantWrites int
		check      func(t *testing.T, f *fixture, c clicks, run trackly.ReconcileRun)
	}{
		{
			name: "a missed postback is recorded, attributed to its click",
			rows: func(t *testing.T, c clicks) []tune.ReportConversion {
				return []tune.ReportConversion{row(t, "tx-1", c.stored, trackly.StatusApproved, "12.50000", at(22, 9))}
			},
			want: counts{Rows: 1, New: 1}, wantWrites: 1,
			check: func(t *testing.T, f *fixture, c clicks, run trackly.ReconcileRun) {
				got := f.st.conversion(t, ref("tx-1"))
				if got.RecordedBy != trackly.SourceReconciliation || got.Attribution != trackly.ConversionAttributed ||
					got.ClickID != c.stored || got.MessageID != "m-1" || !got.ReceivedAt.Equal(at(22, 9)) {
					t.Errorf("recorded %+v, want attributed to its click, received when TUNE says it happened", got)
				}
				if got.Status != trackly.StatusApproved || got.Payout.String() != "12.5" || got.Currency != "EUR" {
					t.Errorf("recorded %v, want approved 12.5 in the offer's currency (TUNE's is null)", got.State())
				}
				if h := got.History; len(h) != 1 || h[0].Source != trackly.SourceReconciliation || h[0].RunID != run.RunID {
					t.Errorf("history %+v, want one entry by run %s", h, run.RunID)
				}
			},
		},
		{
			name: "a missed postback whose click expired is an orphan of its link",
			rows: func(t *testing.T, c clicks) []tune.ReportConversion {
				r := row(t, "tx-1", c.unstored, trackly.StatusPending, "3", at(20, 9))
				r.Currency = "CAD"
				return []tune.ReportConversion{r}
			},
			want: counts{Rows: 1, New: 1}, wantWrites: 1,
			check: func(t *testing.T, f *fixture, _ clicks, _ trackly.ReconcileRun) {
				got := f.st.conversion(t, ref("tx-1"))
				if got.Attribution != trackly.ConversionOrphan || got.LinkID != linkID || got.MessageID != "m-1" || got.Currency != "CAD" || got.Status != trackly.StatusPending {
					t.Errorf("recorded %+v, want a pending orphan of link %s in TUNE's currency", got, linkID)
				}
			},
		},
		{
			name:     "pending becomes approved",
			recorded: recordedTx1(trackly.StatusPending, "5"),
			rows:     listedTx1(trackly.StatusApproved, "5.00000"),
			want:     counts{Rows: 1, Changed: 1}, wantWrites: 1,
			check: func(t *testing.T, f *fixture, _ clicks, run trackly.ReconcileRun) {
				got := f.st.conversion(t, ref("tx-1"))
				last := got.History[len(got.History)-1]
				if got.Status != trackly.StatusApproved || got.Version != 2 || last.Source != trackly.SourceReconciliation || last.RunID != run.RunID {
					t.Errorf("stored %v version %d, last change %+v; want approved at version 2 by run %s", got.State(), got.Version, last, run.RunID)
				}
			},
		},
		{
			name:     "approved becomes rejected: a reversal",
			recorded: recordedTx1(trackly.StatusApproved, "5"),
			rows:     listedTx1(trackly.StatusRejected, "5"),
			want:     counts{Rows: 1, Changed: 1}, wantWrites: 1,
			check: func(t *testing.T, f *fixture, _ clicks, _ trackly.ReconcileRun) {
				if got := f.st.conversion(t, ref("tx-1")); got.Status != trackly.StatusRejected || !got.Reversed {
					t.Errorf("stored %v reversed %v, want a rejected reversal", got.State(), got.Reversed)
				}
			},
		},
		{
			name:     "a payout is corrected",
			recorded: recordedTx1(trackly.StatusApproved, "5"),
			rows:     listedTx1(trackly.StatusApproved, "4.25000"),
			want:     counts{Rows: 1, Changed: 1}, wantWrites: 1,
			check: func(t *testing.T, f *fixture, _ clicks, _ trackly.ReconcileRun) {
				if got := f.st.conversion(t, ref("tx-1")); got.Payout.String() != "4.25" || got.Currency != "USD" {
					t.Errorf("stored %v, want 4.25 in the currency recorded (TUNE's is null)", got.State())
				}
			},
		},
		{
			name:     "the same state writes nothing",
			recorded: recordedTx1(trackly.StatusApproved, "5"),
			rows: func(t *testing.T, c clicks) []tune.ReportConversion {
				r := row(t, "tx-1", c.stored, trackly.StatusApproved, "5.00000", at(20, 9))
				r.Currency = "USD"
				return []tune.ReportConversion{r}
			},
			want: counts{Rows: 1, Unchanged: 1},
		},
		{
			name:     "a decided conversion TUNE still shows pending is stale, and kept",
			recorded: recordedTx1(trackly.StatusApproved, "5"),
			rows:     listedTx1(trackly.StatusPending, "5"),
			want:     counts{Rows: 1, Stale: 1},
		},
		{
			name: "test conversions are skipped, even of our clicks",
			rows: func(t *testing.T, c clicks) []tune.ReportConversion {
				var rows []tune.ReportConversion
				for code := 21; code <= 23; code++ {
					r := row(t, "tx-"+string(rune('0'+code-20)), c.stored, trackly.StatusApproved, "5", at(20, code-20))
					r.StatusCode = code
					rows = append(rows, r)
				}
				return rows
			},
			want: counts{Rows: 3, Test: 3},
		},
		{
			name: "other people's sub values are not ours",
			rows: func(t *testing.T, c clicks) []tune.ReportConversion {
				return []tune.ReportConversion{
					row(t, "tx-1", "", trackly.StatusApproved, "5", at(20, 1)),
					row(t, "tx-2", "their-sub-123", trackly.StatusApproved, "5", at(20, 2)),
					row(t, "tx-3", c.forged, trackly.StatusApproved, "5", at(20, 3)),
					row(t, "tx-4", c.otherIntegration, trackly.StatusApproved, "5", at(20, 4)),
				}
			},
			want: counts{Rows: 4, NotOurs: 4},
		},
		{
			name:     "adjustments, TUNE's duplicate rejections and a conversion listed twice change nothing",
			recorded: recordedTx1(trackly.StatusApproved, "5"),
			rows: func(t *testing.T, c clicks) []tune.ReportConversion {
				dup := row(t, "tx-1", c.stored, trackly.StatusRejected, "0", at(20, 10))
				dup.StatusCode = 12
				adj := row(t, "tx-1", c.stored, trackly.StatusApproved, "1", at(21, 10))
				adj.IsAdjustment = true
				again := row(t, "tx-1", c.stored, trackly.StatusApproved, "7", at(22, 10))
				return []tune.ReportConversion{row(t, "tx-1", c.stored, trackly.StatusApproved, "5", at(20, 9)), dup, adj, again}
			},
			want: counts{Rows: 4, Unchanged: 1, Ignored: 3},
		},
		{
			name: "a conversion TUNE does not list is flagged, not deleted, an hour inside the window's ends",
			recorded: func(t *testing.T, c clicks) []trackly.Conversion {
				return []trackly.Conversion{
					recorded(t, "tx-1", c.stored, trackly.StatusApproved, "5", at(20, 9)),
					recorded(t, "tx-edge-start", c.stored, trackly.StatusApproved, "5", at(18, 0).Add(59*time.Minute)),
					recorded(t, "tx-start", c.stored, trackly.StatusApproved, "5", at(18, 1)),
					recorded(t, "tx-edge-now", c.stored, trackly.StatusApproved, "5", now.Add(-59*time.Minute)),
				}
			},
			want: counts{Missing: 2}, wantWrites: 2,
			check: func(t *testing.T, f *fixture, _ clicks, run trackly.ReconcileRun) {
				for tx, flagged := range map[string]bool{"tx-1": true, "tx-start": true, "tx-edge-start": false, "tx-edge-now": false} {
					got := f.st.conversion(t, ref(tx))
					if got.MissingAtTUNE.IsZero() == flagged || flagged && got.MissingRunID != run.RunID {
						t.Errorf("%s missing since %v by %q, want flagged %v by %s", tx, got.MissingAtTUNE, got.MissingRunID, flagged, run.RunID)
					}
					if got.Status != trackly.StatusApproved {
						t.Errorf("%s became %s", tx, got.Status)
					}
				}
			},
		},
		{
			name: "a flagged conversion TUNE lists again is cleared",
			recorded: func(t *testing.T, c clicks) []trackly.Conversion {
				flagged := recorded(t, "tx-1", c.stored, trackly.StatusPending, "5", at(20, 9))
				flagged.MissingAtTUNE, flagged.MissingRunID = at(21, 9), "rr_before"
				stale := flagged
				stale.ConversionID = "tx-2"
				stale.Status = trackly.StatusApproved
				return []trackly.Conversion{flagged, stale}
			},
			rows: func(t *testing.T, c clicks) []tune.ReportConversion {
				return []tune.ReportConversion{
					row(t, "tx-1", c.stored, trackly.StatusApproved, "5", at(20, 9)),
					row(t, "tx-2", c.stored, trackly.StatusPending, "5", at(20, 10)),
				}
			},
			want: counts{Rows: 2, Changed: 1, Stale: 1, Cleared: 2}, wantWrites: 3,
			check: func(t *testing.T, f *fixture, _ clicks, _ trackly.ReconcileRun) {
				for _, tx := range []string{"tx-1", "tx-2"} {
					if got := f.st.conversion(t, ref(tx)); !got.MissingAtTUNE.IsZero() || got.MissingRunID != "" {
						t.Errorf("%s still flagged missing since %v", tx, got.MissingAtTUNE)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(integration, now, reconcile.Options{})
			c := newClicks(t, f)
			if tt.recorded != nil {
				for _, conv := range tt.recorded(t, c) {
					f.st.conversions[conv.Ref()] = conv
				}
			}
			if tt.rows != nil {
				f.net.rows = tt.rows(t, c)
			}
			run := f.reconcile(t)
			if run.Status != trackly.SyncSucceeded || !run.Complete || run.Error != "" {
				t.Fatalf("run %s (complete %v): %s", run.Status, run.Complete, run.Error)
			}
			if got := countsOf(run); got != tt.want {
				t.Errorf("counts %+v, want %+v", got, tt.want)
			}
			if f.st.writes != tt.wantWrites {
				t.Errorf("%d conversion writes, want %d", f.st.writes, tt.wantWrites)
			}
			if tt.check != nil {
				tt.check(t, f, c, run)
			}
		})
	}
}

func TestReconcilingTwiceWritesNothingTheSecondTime(t *testing.T) {
	f := newFixture(integration, now, reconcile.Options{PageSize: 2})
	c := newClicks(t, f)
	for _, conv := range []trackly.Conversion{
		recorded(t, "tx-pending", c.stored, trackly.StatusPending, "5", at(19, 9)),
		recorded(t, "tx-same", c.stored, trackly.StatusApproved, "5", at(19, 10)),
		recorded(t, "tx-gone", c.stored, trackly.StatusApproved, "5", at(21, 10)),
	} {
		f.st.conversions[conv.Ref()] = conv
	}
	f.net.rows = []tune.ReportConversion{
		row(t, "tx-pending", c.stored, trackly.StatusApproved, "6", at(19, 9)),
		row(t, "tx-same", c.stored, trackly.StatusApproved, "5", at(19, 10)),
		row(t, "tx-missed", c.unstored, trackly.StatusApproved, "2", at(23, 23)),
		row(t, "tx-foreign", "foreign", trackly.StatusApproved, "2", at(23, 23)),
	}
	first := f.reconcile(t)
	if want := (counts{Rows: 4, New: 1, Changed: 1, Unchanged: 1, NotOurs: 1, Missing: 1}); countsOf(first) != want {
		t.Fatalf("first run %+v, want %+v", countsOf(first), want)
	}
	writes := f.st.writes
	second := f.reconcile(t)
	if want := (counts{Rows: 4, Unchanged: 3, NotOurs: 1, Missing: 1}); countsOf(second) != want {
		t.Errorf("second run %+v, want %+v", countsOf(second), want)
	}
	if n := f.st.writes - writes; n != 0 {
		t.Errorf("the second run wrote %d conversions, want 0", n)
	}
	if first.TUNECalls != 7 || second.TUNECalls != 7 {
		t.Errorf("TUNE calls %d and %d, want 7 each: one page for each day", first.TUNECalls, second.TUNECalls)
	}
}

func TestDaysAreTheNetworksDays(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	in := integration
	in.TimeZone = la.String()
	// 2026-11-25 12:00 UTC is 04:00 in Los Angeles: the lookback covers 2026-11-19 to 2026-11-25 there.
	f := newFixture(in, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), reconcile.Options{})
	c := newClicks(t, f)
	local := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, la) }
	// Received just after the window's first midnight, dated by TUNE just before it:
	// TUNE lists it on a day the run does not read.
	early := recorded(t, "tx-early", c.stored, trackly.StatusApproved, "5", local(19, 0, 20))
	gone := recorded(t, "tx-gone", c.stored, trackly.StatusApproved, "5", local(19, 2, 0))
	f.st.conversions[early.Ref()], f.st.conversions[gone.Ref()] = early, gone
	f.net.rows = []tune.ReportConversion{
		row(t, "tx-early", c.stored, trackly.StatusApproved, "5", local(18, 23, 55)),
		// 23:30 on the 24th in Los Angeles is the 25th in UTC.
		row(t, "tx-late", c.stored, trackly.StatusApproved, "5", local(24, 23, 30)),
	}
	run := f.reconcile(t)
	if run.From != "2026-11-19" || run.To != "2026-11-25" || run.TimeZone != "America/Los_Angeles" {
		t.Errorf("window %s to %s in %s, want 2026-11-19 to 2026-11-25 in America/Los_Angeles", run.From, run.To, run.TimeZone)
	}
	want := []string{"2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"}
	if got := f.net.days(); !slices.Equal(got, want) {
		t.Errorf("days asked %v, want one call a day %v", got, want)
	}
	if got := countsOf(run); got != (counts{Rows: 1, New: 1, Missing: 1}) {
		t.Errorf("counts %+v, want the late conversion new and only tx-gone missing", got)
	}
	if got := f.st.conversion(t, ref("tx-late")); !got.ReceivedAt.Equal(local(24, 23, 30)) {
		t.Errorf("received at %v, want %v", got.ReceivedAt, local(24, 23, 30))
	}
	if got := f.st.conversion(t, ref("tx-early")); !got.MissingAtTUNE.IsZero() {
		t.Errorf("a conversion received just across the window's first midnight was flagged missing")
	}
}

func TestAStoppedRunIsResumedWhereItStopped(t *testing.T) {
	start := time.Now()
	f := newFixture(integration, start, reconcile.Options{PageSize: 2})
	c := newClicks(t, f)
	today := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	// Three rows a day for the 6 days before today, two pages a day, and
	// today's empty page: 13 calls in all.
	var rows []tune.ReportConversion
	for d := 1; d <= 6; d++ {
		for h := range 3 {
			rows = append(rows, row(t, "tx-"+string(rune('a'+d))+string(rune('0'+h)), c.stored, trackly.StatusApproved, "1", today.AddDate(0, 0, -d).Add(time.Duration(h)*time.Hour)))
		}
	}
	f.net.rows = rows
	// Each call takes 10 minutes: the fifth ends past the work deadline,
	// which is DeadlineMargin before the invocation's.
	f.net.onCall = func(tune.ConversionQuery) error { f.clock.advance(10 * time.Minute); return nil }
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(45*time.Minute+reconcile.DefaultDeadlineMargin))
	defer cancel()
	due, err := f.r.ReconcileDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(due.Runs) != 1 {
		t.Fatalf("due runs %+v, want one", due)
	}
	stopped := due.Runs[0]
	if stopped.Status != trackly.SyncPartial || stopped.Complete || stopped.TUNECalls != 5 || stopped.ResumeDay == "" || stopped.ResumePage != 2 {
		t.Fatalf("stopped run %+v, want partial after 5 calls, to resume at the second page of a day", stopped)
	}
	if in := f.st.integrations[integrationID]; in.NextReconcileAt.After(f.clock.Now()) || in.ReconcileLeaseOwner != "" {
		t.Errorf("integration due at %v with lease %q, want due again at once and its lease given back", in.NextReconcileAt, in.ReconcileLeaseOwner)
	}

	f.net.onCall = nil
	due, err = f.r.ReconcileDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	resumed := due.Runs[0]
	if resumed.Status != trackly.SyncSucceeded || resumed.ResumedFrom != stopped.RunID || resumed.From != stopped.ResumeDay || resumed.TUNECalls != 8 {
		t.Errorf("resumed run %+v, want run %s's rest: 8 calls from %s", resumed, stopped.RunID, stopped.ResumeDay)
	}
	if total := stopped.New + resumed.New; total != 18 || len(f.st.conversions) != 18 {
		t.Errorf("%d new conversions in two runs, %d stored; want each of 18 once", total, len(f.st.conversions))
	}
	if in := f.st.integrations[integrationID]; !in.NextReconcileAt.Equal(f.clock.Now().UTC().Add(time.Hour)) {
		t.Errorf("next run due at %v, want an hour after the resumed run", in.NextReconcileAt)
	}
}

func TestTUNEsFailureIsRecorded(t *testing.T) {
	f := newFixture(integration, now, reconcile.Options{})
	f.net.onCall = func(tune.ConversionQuery) error {
		return &tune.Error{Kind: tune.KeyRejected, Op: "Report::getConversions", Message: "Invalid API key"}
	}
	due, err := f.r.ReconcileDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	run := due.Runs[0]
	if run.Status != trackly.SyncFailed || run.ErrorKind != string(tune.KeyRejected) || run.TUNECalls != 1 {
		t.Errorf("run %+v, want failed with key_rejected after one call", run)
	}
	if len(f.st.runs) != 1 || f.st.runs[0].Status != trackly.SyncFailed {
		t.Errorf("recorded runs %+v, want the failed run", f.st.runs)
	}
	if in := f.st.integrations[integrationID]; !in.NextReconcileAt.Equal(now.Add(15 * time.Minute)) {
		t.Errorf("next run due at %v, want 15 minutes later", in.NextReconcileAt)
	}
}

func TestARunSkipsAnIntegrationAnotherRunHolds(t *testing.T) {
	f := newFixture(integration, now, reconcile.Options{})
	if _, err := f.st.AcquireReconcileLease(context.Background(), integrationID, "rr_other", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	run := f.reconcile(t)
	if run.Status != trackly.SyncSkipped || len(f.net.calls) != 0 || len(f.st.runs) != 0 {
		t.Errorf("run %s with %d TUNE calls and %d runs recorded, want skipped, no call, nothing recorded", run.Status, len(f.net.calls), len(f.st.runs))
	}
}

func TestReconcileRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		in    func(*trackly.Integration)
		req   reconcile.Request
		field string
	}{
		{name: "no integration", req: reconcile.Request{}, field: "integration_id"},
		{name: "unknown integration", req: reconcile.Request{IntegrationID: "in-nope"}, field: "integration_id"},
		{name: "not a date", req: reconcile.Request{IntegrationID: integrationID, From: "yesterday"}, field: "from"},
		{name: "before 2000", req: reconcile.Request{IntegrationID: integrationID, To: "1999-12-31"}, field: "to"},
		{name: "backwards", req: reconcile.Request{IntegrationID: integrationID, From: "2026-11-20", To: "2026-11-19"}, field: "to"},
		{name: "too wide", req: reconcile.Request{IntegrationID: integrationID, From: "2026-10-01", To: "2026-11-24"}, field: "from"},
		{name: "after today", req: reconcile.Request{IntegrationID: integrationID, To: "2026-11-25"}, field: "to"},
		{name: "today in the network's time zone", in: func(in *trackly.Integration) { in.TimeZone = "Pacific/Honolulu" },
			req: reconcile.Request{IntegrationID: integrationID, From: "2026-11-24"}, field: ""},
		{name: "a time zone no longer known", in: func(in *trackly.Integration) { in.TimeZone = "Mars/Olympus_Mons" },
			req: reconcile.Request{IntegrationID: integrationID}, field: "time_zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := integration
			if tt.in != nil {
				tt.in(&in)
			}
			f := newFixture(in, now, reconcile.Options{})
			run, err := f.r.Reconcile(context.Background(), tt.req)
			if tt.field == "" {
				if err != nil || run.Status != trackly.SyncSucceeded {
					t.Fatalf("run %s: %v", run.Status, err)
				}
				return
			}
			fe, ok := validate.AsFieldError(err)
			if !ok || fe.Field != tt.field {
				t.Fatalf("error %v, want a field error naming %s", err, tt.field)
			}
			if len(f.net.calls) != 0 || len(f.st.runs) != 0 {
				t.Errorf("%d TUNE calls and %d runs recorded, want none", len(f.net.calls), len(f.st.runs))
			}
		})
	}
}

func TestListRuns(t *testing.T) {
	f := newFixture(integration, now, reconcile.Options{})
	first := f.reconcile(t)
	f.clock.advance(time.Hour)
	second, err := f.r.Reconcile(context.Background(), reconcile.Request{IntegrationID: integrationID, From: "2026-11-01", To: "2026-11-02"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.r.ListRuns(context.Background(), trackly.ReconcileRunFilter{IntegrationID: integrationID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Runs) != 2 || list.Runs[0].RunID != second.RunID || list.Runs[1].RunID != first.RunID {
		t.Errorf("runs %+v, want %s then %s", list.Runs, second.RunID, first.RunID)
	}
	if r := list.Runs[0]; r.From != "2026-11-01" || r.To != "2026-11-02" || r.Trigger != trackly.SyncTriggerManual || r.TUNECalls != 2 {
		t.Errorf("run %+v, want the manual run of 2026-11-01 to 2026-11-02, a call a day", r)
	}
	_, err = f.r.ListRuns(context.Background(), trackly.ReconcileRunFilter{IntegrationID: "in-nope"})
	if fe, ok := validate.AsFieldError(err); !ok || fe.Field != "integration_id" {
		t.Errorf("listing an unknown integration's runs: %v, want a field error naming integration_id", err)
	}
}

func TestAConversionThatKeepsChangingIsLeftToTheNextRun(t *testing.T) {
	f := newFixture(integration, now, reconcile.Options{})
	c := newClicks(t, f)
	conv := recorded(t, "tx-1", c.stored, trackly.StatusPending, "5", at(20, 9))
	f.st.conversions[conv.Ref()] = conv
	f.net.rows = []tune.ReportConversion{row(t, "tx-1", c.stored, trackly.StatusApproved, "5", at(20, 9))}
	f.through(&changingStore{store: f.st, step: amount("1")}, f.net)
	run := f.reconcile(t)
	if run.Status != trackly.SyncSucceeded || run.Failed != 1 || run.Changed != 0 {
		t.Errorf("run %s: %+v, want succeeded with the conversion counted failed", run.Status, countsOf(run))
	}
}

// changingStore is a store whose conversions another writer changes (their
// payout grows by step) before every write of a new version.
type changingStore struct {
	*store
	step money.Amount
}

func (s *changingStore) SaveConversion(ctx context.Context, c trackly.Conversion, logged *trackly.PostbackResult) error {
	s.mu.Lock()
	stored := s.conversions[c.Ref()]
	s.conversions[c.Ref()] = stored.Changed(trackly.ConversionState{Status: stored.Status, Payout: stored.Payout.Add(s.step), Currency: stored.Currency},
		trackly.Origin{Source: trackly.SourceAdmin, At: now})
	s.mu.Unlock()
	err := s.store.SaveConversion(ctx, c, logged)
	if !errors.Is(err, trackly.ErrConflict) {
		return errors.New("the other writer's change was not seen")
	}
	return err
}

// unloadedKey is a click verifier whose signing key could not be loaded.
type unloadedKey struct{}

func (unloadedKey) Verify(string) (string, error) {
	return "", errors.New("click signing key: SSM unreachable")
}

func TestRowsAreNotJudgedWithoutTheClickSigningKey(t *testing.T) {
	f := newFixture(integration, now, reconcile.Options{})
	f.net.rows = listedTx1(trackly.StatusApproved, "5")(t, newClicks(t, f))
	f.r = reconcile.New(f.st, f.net, unloadedKey{}, f.opts)
	run := f.reconcile(t)
	if run.Status != trackly.SyncFailed || run.NotOurs != 0 || !strings.Contains(run.Error, "SSM unreachable") {
		t.Errorf("run %s, %d rows not ours, error %q; want failed on the key, no row judged", run.Status, run.NotOurs, run.Error)
	}
}
