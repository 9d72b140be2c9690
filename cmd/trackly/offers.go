package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/money"
	domain "github.com/trackly/tune-integration/internal/trackly" // package trackly; here, trackly names the CLI
)

// payout prints a payout exactly as stored: "1.50 USD", "12.5%" or "1.50 USD + 12.5%".
func payout(flat money.Amount, percent *money.Amount, currency string) string {
	flatText := flat.String() + " " + currency
	switch {
	case percent == nil:
		return flatText
	case flat.IsZero():
		return percent.String() + "%"
	}
	return flatText + " + " + percent.String() + "%"
}

func offerStatus(o adminapi.Offer) string {
	if o.Removed {
		return "removed"
	}
	return dash(o.Status)
}

func expires(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}

func offerTable(w io.Writer, offers []adminapi.Offer, max int) {
	row(w, "ID", "NAME", "STATUS", "PAYOUT", "TYPE", "ADVERTISER", "EXPIRES")
	for i, o := range offers {
		if max > 0 && i == max {
			row(w, fmt.Sprintf("... and %d more", len(offers)-max))
			break
		}
		row(w, o.OfferID, o.Name, offerStatus(o), payout(o.DefaultPayout, o.PercentPayout, o.Currency), dash(o.PayoutType), dash(o.AdvertiserName), expires(o.ExpirationDate))
	}
}

func runDuration(r adminapi.SyncRun) string {
	if r.StartedAt.IsZero() || r.EndedAt.IsZero() {
		return "-"
	}
	return r.EndedAt.Sub(r.StartedAt).Round(10 * time.Millisecond).String()
}

func runPages(r adminapi.SyncRun) string {
	switch {
	case r.LastPage > 0 && r.PageCount > 0:
		return fmt.Sprintf("%d-%d of %d", max(r.FirstPage, 1), r.LastPage, r.PageCount)
	case r.Pages > 0:
		return fmt.Sprint(r.Pages)
	}
	return "-"
}

// runFailure is the one line trackly prints when the run failed, or "".
func runFailure(r domain.Run, what string) string {
	if r.Status != domain.SyncFailed {
		return ""
	}
	msg := or(r.Error, "no error recorded")
	if r.ErrorKind != "" && r.ErrorKind != "settings" {
		return "TUNE: " + strings.TrimPrefix(msg, "tune: ")
	}
	return fmt.Sprintf("%s of %s failed: %s", what, r.IntegrationID, msg)
}

// printRun prints a run as sync_offers answers it. The error of a run that
// failed or did not run is left to the line offers sync ends with on stderr.
func printRun(w io.Writer, r adminapi.SyncRun) {
	status := dash(string(r.Status))
	if r.ErrorKind != "" {
		status += " (" + r.ErrorKind + ")"
	}
	row(w, "Integration", r.IntegrationID)
	row(w, "Run", dash(r.RunID))
	row(w, "Trigger", dash(string(r.Trigger)))
	row(w, "Status", status+yesNo(r.Complete, ", whole listing read", ""))
	row(w, "Started", when(r.StartedAt))
	row(w, "Duration", runDuration(r))
	row(w, "Pages", runPages(r))
	row(w, "Offers", fmt.Sprintf("%d seen: %d new, %d changed, %d unchanged, %d removed, %d restored, %d failed",
		r.OffersSeen, r.OffersNew, r.OffersChanged, r.OffersUnchanged, r.OffersRemoved, r.OffersRestored, r.OffersFailed))
	row(w, "TUNE calls", fmt.Sprint(r.TUNECalls))
	if r.ResumedFrom != "" {
		row(w, "Resumed from", r.ResumedFrom)
	}
	if r.Error != "" && r.Status != domain.SyncFailed && r.Status != domain.SyncSkipped {
		row(w, "Error", r.Error)
	}
}

func runTable(w io.Writer, runs []adminapi.SyncRun, withIntegration bool) {
	head := []string{"STARTED", "RUN", "TRIGGER", "STATUS", "DURATION", "PAGES", "SEEN", "NEW", "CHANGED", "REMOVED", "CALLS", "ERROR"}
	if withIntegration {
		head = append([]string{"INTEGRATION"}, head...)
	}
	row(w, head...)
	for _, r := range runs {
		cells := []string{when(r.StartedAt), r.RunID, string(r.Trigger), string(r.Status), runDuration(r), runPages(r),
			fmt.Sprint(r.OffersSeen), fmt.Sprint(r.OffersNew), fmt.Sprint(r.OffersChanged), fmt.Sprint(r.OffersRemoved),
			fmt.Sprint(r.TUNECalls), dash(firstLine(r.Error))}
		if withIntegration {
			cells = append([]string{r.IntegrationID}, cells...)
		}
		row(w, cells...)
	}
}

func (c *cli) offersCommand() *cobra.Command {
	return group("offers", "Browse the network's offers, import them, list and sync the imported ones",
		`  trackly offers remote -i in_demo --search shoes
  trackly offers import -i in_demo --offer 12,14
  trackly offers sync -i in_demo`,
		c.offersRemote(), c.offersImport(), c.offersList(), c.offersSync())
}

func (c *cli) offersRemote() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remote",
		Short: "List the TUNE network's offers, a page at a time (list_remote_offers)",
		Example: `  trackly offers remote --integration in_demo
  trackly offers remote -i in_demo --status active,paused --search shoes --page 2 --limit 100`,
		Args: cobra.NoArgs,
	}
	var q adminapi.RemoteOfferQuery
	c.integrationFlag(cmd, &q.IntegrationID)
	p := newPayload(cmd, &q)
	cmd.Flags().StringSliceVar(&q.Status, "status", nil, "only offers with these statuses: active, paused, pending, deleted")
	p.str(&q.Search, "search", "only offers whose name contains this text")
	p.integer(&q.Page, "page", "page number, from 1")
	p.integer(&q.Limit, "limit", "offers per page (default 50, at most 500)")
	_ = cmd.RegisterFlagCompletionFunc("status", fixedCompletion("active", "paused", "pending", "deleted"))
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		v, err := sendV(cmd.Context(), c, adminapi.ListRemoteOffers, p, func(w io.Writer, v adminapi.RemotePage) {
			if len(v.Offers) == 0 {
				fmt.Fprintln(w, "No offers match.")
				return
			}
			row(w, "ID", "NAME", "STATUS", "PAYOUT", "TYPE", "ADVERTISER", "EXPIRES", "IMPORTED")
			for _, o := range v.Offers {
				row(w, o.OfferID, o.Name, dash(o.Status), payout(o.DefaultPayout, o.PercentPayout, o.Currency), dash(o.PayoutType), dash(o.AdvertiserName),
					expires(o.ExpirationDate), yesNo(o.Imported, "yes", "no"))
			}
		})
		if err != nil || c.output != "table" || len(v.Offers) == 0 {
			return err
		}
		fmt.Fprintf(c.stderr, "Page %d of %d (%s).", v.Page, v.PageCount, count(v.Count, "offer", "offers"))
		if v.Page < v.PageCount {
			fmt.Fprintf(c.stderr, " Next: --page %d", v.Page+1)
		}
		fmt.Fprintln(c.stderr)
		return nil
	}
	return cmd
}

func (c *cli) offersImport() *cobra.Command {
	var (
		r          adminapi.ImportRequest
		filter     adminapi.ImportFilter
		all        bool
		noProgress bool
	)
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import chosen offers, or every offer matching a filter (import_offers)",
		Long: `Import offers from the TUNE network into an integration (OfferSyncFunction import_offers):
the chosen ids (--offer), or every offer matching a filter (--status, --search), or all
of them (--all). New offers are added and imported ones brought up to date.
On a terminal, a long import shows its progress on standard error.`,
		Example: `  trackly offers import --integration in_demo --offer 1,2,3
  trackly offers import -i in_demo --status active --search shoes
  trackly offers import -i in_demo --all -o json > import.json`,
		Args: cobra.NoArgs,
	}
	c.integrationFlag(cmd, &r.IntegrationID)
	f := cmd.Flags()
	f.StringSliceVar(&r.OfferIDs, "offer", nil, "offer ids to import (repeat or separate with commas) (offer_ids)")
	f.BoolVar(&all, "all", false, "import every offer of the network (filter {})")
	f.StringSliceVar(&filter.Status, "status", nil, "import every offer with these statuses (filter.status)")
	f.StringVar(&filter.Search, "search", "", "import every offer whose name contains this text (filter.search)")
	f.BoolVar(&noProgress, "no-progress", false, "do not show progress on a terminal")
	_ = cmd.RegisterFlagCompletionFunc("status", fixedCompletion("active", "paused", "pending", "deleted"))
	cmd.MarkFlagsMutuallyExclusive("offer", "all")
	cmd.MarkFlagsMutuallyExclusive("offer", "status")
	cmd.MarkFlagsMutuallyExclusive("offer", "search")
	cmd.MarkFlagsOneRequired("offer", "all", "status", "search")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if len(r.OfferIDs) == 0 {
			r.Filter = &filter
		}
		label := "importing into " + r.IntegrationID
		if n := len(r.OfferIDs); n > 0 {
			label = "importing " + count(n, "offer", "offers") + " into " + r.IntegrationID
		}
		raw, err := c.withProgress(cmd.Context(), !noProgress, r.IntegrationID, domain.SyncTriggerImport, label, func(ctx context.Context) (json.RawMessage, error) {
			return c.invoke(ctx, adminapi.ImportOffers, r)
		})
		if err != nil {
			return err
		}
		return emit(c, raw, func(w io.Writer, v adminapi.ImportResult) {
			printf(w, "Imported %s into %s: %d new, %d updated, %d unchanged (run %s).\n",
				count(v.Imported, "offer", "offers"), v.IntegrationID, v.New, v.Updated, v.Unchanged, v.RunID)
			if len(v.NotFound) > 0 {
				printf(w, "Not found on the network (or not visible to the key): %s\n", strings.Join(v.NotFound, ", "))
			}
			for _, fl := range v.Failed {
				printf(w, "Failed: offer %s: %s\n", fl.OfferID, fl.Error)
			}
			if !v.Complete {
				printf(w, "%s\n", or(v.Message, "The import did not finish; run it again to continue."))
			}
			if len(v.Offers) > 0 {
				fmt.Fprintln(w)
				offerTable(w, v.Offers, 20)
				if v.OffersOmitted > 0 || len(v.Offers) > 20 {
					printf(w, "\nAll of them: trackly offers list --integration %s\n", v.IntegrationID)
				}
			}
		})
	}
	return cmd
}

func (c *cli) offersList() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List an integration's imported offers (list_offers)",
		Example: `  trackly offers list --integration in_demo
  trackly offers list -i in_demo --include-removed --limit 100 -o json`,
		Args: cobra.NoArgs,
	}
	var q adminapi.OfferQuery
	c.integrationFlag(cmd, &q.IntegrationID)
	p := newPayload(cmd, &q)
	p.boolean(&q.IncludeRemoved, "include-removed", "also list offers TUNE no longer returns")
	pagedList[adminapi.OfferList]{
		action: adminapi.ListOffers, what: "offers", limit: &q.Limit, cursor: &q.Cursor,
		empty: func(v adminapi.OfferList) (string, bool) {
			return fmt.Sprintf("No offers imported into %s yet: trackly offers import --integration %s --offer ID", v.IntegrationID, v.IntegrationID), len(v.Offers) == 0
		},
		table: func(w io.Writer, v adminapi.OfferList) { offerTable(w, v.Offers, 0) },
	}.setUp(c, p)
	return cmd
}

func (c *cli) offersSync() *cobra.Command {
	var noProgress bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync an integration's imported offers with TUNE now (sync_offers)",
		Long: `Sync an integration's imported offers with TUNE now (OfferSyncFunction sync_offers):
changed offers are updated, offers TUNE no longer returns are marked removed.
On a terminal, the run's live counters show on standard error. A failed run exits 1.`,
		Example: `  trackly offers sync --integration in_demo
  trackly offers sync -i in_demo -o json | jq .status`,
		Args: cobra.NoArgs,
	}
	var r adminapi.SyncRequest
	c.integrationFlag(cmd, &r.IntegrationID)
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "do not show progress on a terminal")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		raw, err := c.withProgress(cmd.Context(), !noProgress, r.IntegrationID, domain.SyncTriggerManual, "syncing "+r.IntegrationID, func(ctx context.Context) (json.RawMessage, error) {
			return c.invoke(ctx, adminapi.SyncOffers, r)
		})
		if err != nil {
			return err
		}
		run, err := emitV(c, raw, printRun)
		if err != nil {
			return err
		}
		if run.Status == domain.SyncSkipped {
			printf(c.stderr, "trackly: the sync did not run: %s\n", or(run.Error, "another sync of this integration is running"))
		}
		if msg := runFailure(run.Run, "sync"); msg != "" {
			return errors.New(msg)
		}
		return nil
	}
	return cmd
}

func (c *cli) syncRunsCommand() *cobra.Command {
	list := &cobra.Command{
		Use:     "list",
		Short:   "List an integration's sync runs and imports, newest first (list_sync_runs)",
		Example: "  trackly sync-runs list --integration in_demo\n  trackly sync-runs list -i in_demo --limit 5 -o json",
		Args:    cobra.NoArgs,
	}
	var q adminapi.SyncRunQuery
	c.integrationFlag(list, &q.IntegrationID)
	pagedList[adminapi.SyncRunList]{
		action: adminapi.ListSyncRuns, what: "runs", limit: &q.Limit, cursor: &q.Cursor,
		empty: func(v adminapi.SyncRunList) (string, bool) {
			return fmt.Sprintf("No sync runs for %s yet.", v.IntegrationID), len(v.Runs) == 0
		},
		table: func(w io.Writer, v adminapi.SyncRunList) { runTable(w, v.Runs, false) },
	}.setUp(c, newPayload(list, &q))
	return group("sync-runs", "Inspect offer sync runs", "  trackly sync-runs list --integration in_demo", list)
}

func (c *cli) syncCommand() *cobra.Command {
	due := &cobra.Command{
		Use:   "due",
		Short: "Sync every integration whose scheduled sync is due, as the schedule does (sync_due)",
		Example: `  trackly sync due
  aws lambda invoke --function-name <OfferSyncFunctionName> --payload fileb://events/offersync-sync-due.json /dev/stdout   # the same`,
		Args: cobra.NoArgs,
	}
	due.RunE = func(cmd *cobra.Command, _ []string) error {
		v, err := sendV(cmd.Context(), c, adminapi.SyncDue, adminapi.SyncDueRequest{}, func(w io.Writer, v adminapi.DueResult) {
			if v.Due == 0 {
				fmt.Fprintln(w, "No integrations due.")
			} else {
				fmt.Fprintf(w, "%s due.\n", count(v.Due, "integration", "integrations"))
			}
			if len(v.Runs) > 0 {
				fmt.Fprintln(w)
				runTable(w, v.Runs, true)
			}
			if len(v.NotStarted) > 0 {
				printf(w, "\nLeft for the next run (deadline near): %s\n", strings.Join(v.NotStarted, ", "))
			}
		})
		if err != nil {
			return err
		}
		// The runs' errors are in the table (or the JSON): the line names the integrations.
		var failed []string
		for _, r := range v.Runs {
			if runFailure(r.Run, "sync") != "" {
				failed = append(failed, r.IntegrationID)
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("%d of %d syncs failed: %s", len(failed), len(v.Runs), strings.Join(failed, ", "))
		}
		return nil
	}
	return group("sync", "Run scheduled work on demand", "  trackly sync due\n  trackly sync reconcile-due", due, c.reconcileDue())
}

// integrationsTest is `integrations test`: OfferSyncFunction test_connection.
func (c *cli) integrationsTest() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test [INTEGRATION]",
		Short: "Test the connection to TUNE with the integration's settings and key (test_connection)",
		Example: `  trackly integrations test in_demo
  trackly integrations test -i in_demo -o json | jq .cause`,
	}
	return c.onIntegration(cmd, func(ctx context.Context, id string) error {
		v, err := sendV(ctx, c, adminapi.TestConnection, adminapi.ConnectionQuery{IntegrationID: id}, func(w io.Writer, v adminapi.ConnectionResult) {
			if v.OK {
				offers := "? offers"
				if v.OfferCount != nil {
					offers = count(*v.OfferCount, "offer", "offers")
				}
				printf(w, "Connection OK: %s key on network %s, %s visible.\n", or(v.KeyKind, "?"), or(v.NetworkID, "?"), offers)
				return
			}
			// The message is the line trackly exits with, on stderr.
			row(w, "Connection", "FAILED")
			row(w, "Cause", dash(v.Cause))
			row(w, "Hint", dash(v.Hint))
		})
		if err != nil || v.OK {
			return err
		}
		msg := strings.TrimPrefix(or(v.Message, v.Cause), "tune: ")
		if v.Cause == "no_api_key" || v.Cause == "invalid_settings" {
			return fmt.Errorf("connection test failed: %s", msg)
		}
		return fmt.Errorf("TUNE: %s", msg)
	})
}
