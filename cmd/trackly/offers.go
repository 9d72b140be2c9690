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
)

// offerView is an offer as list_offers, import_offers and list_remote_offers return it.
type offerView struct {
	OfferID        text `json:"offer_id"`
	Name           text `json:"name"`
	Status         text `json:"status"`
	DefaultPayout  text `json:"default_payout"`
	PercentPayout  text `json:"percent_payout"`
	PayoutType     text `json:"payout_type"`
	Currency       text `json:"currency"`
	AdvertiserName text `json:"advertiser_name"`
	ExpirationDate text `json:"expiration_date"`
	Removed        bool `json:"removed"`
	Imported       bool `json:"imported"`
	UpdatedAt      text `json:"updated_at"`
}

// payout prints the payout exactly as stored: "1.50 USD", "12.5%" or "1.50 USD + 12.5%".
func (o offerView) payout() string {
	flat := string(o.DefaultPayout) + " " + string(o.Currency)
	switch {
	case o.PercentPayout == "":
		return flat
	case o.DefaultPayout == "" || strings.Trim(string(o.DefaultPayout), "0.") == "":
		return string(o.PercentPayout) + "%"
	}
	return flat + " + " + string(o.PercentPayout) + "%"
}

func (o offerView) status() string {
	if o.Removed {
		return "removed"
	}
	return o.Status.or("-")
}

func expires(t text) string {
	if t == "" {
		return "-"
	}
	ts, err := time.Parse(time.RFC3339Nano, string(t))
	if err != nil {
		return string(t)
	}
	return ts.UTC().Format(time.DateOnly)
}

func offerTable(w io.Writer, offers []offerView, max int) {
	row(w, "ID", "NAME", "STATUS", "PAYOUT", "TYPE", "ADVERTISER", "EXPIRES")
	for i, o := range offers {
		if max > 0 && i == max {
			row(w, fmt.Sprintf("... and %d more", len(offers)-max))
			break
		}
		row(w, string(o.OfferID), string(o.Name), o.status(), o.payout(), o.PayoutType.or("-"), o.AdvertiserName.or("-"), expires(o.ExpirationDate))
	}
}

// runView is a sync run (trackly.SyncRun) as OfferSyncFunction returns it.
type runView struct {
	IntegrationID   text `json:"integration_id"`
	RunID           text `json:"run_id"`
	Trigger         text `json:"trigger"`
	Status          text `json:"status"`
	StartedAt       text `json:"started_at"`
	EndedAt         text `json:"ended_at"`
	FirstPage       int  `json:"first_page"`
	LastPage        int  `json:"last_page"`
	PageCount       int  `json:"page_count"`
	Pages           int  `json:"pages"`
	OffersSeen      int  `json:"offers_seen"`
	OffersNew       int  `json:"offers_new"`
	OffersChanged   int  `json:"offers_changed"`
	OffersUnchanged int  `json:"offers_unchanged"`
	OffersRemoved   int  `json:"offers_removed"`
	OffersRestored  int  `json:"offers_restored"`
	OffersFailed    int  `json:"offers_failed"`
	TUNECalls       int  `json:"tune_calls"`
	Complete        bool `json:"complete"`
	ResumedFrom     text `json:"resumed_from"`
	Error           text `json:"error"`
	ErrorKind       text `json:"error_kind"`
}

func (r runView) duration() string {
	start, err1 := time.Parse(time.RFC3339Nano, string(r.StartedAt))
	end, err2 := time.Parse(time.RFC3339Nano, string(r.EndedAt))
	if err1 != nil || err2 != nil || start.IsZero() || end.IsZero() {
		return "-"
	}
	return end.Sub(start).Round(10 * time.Millisecond).String()
}

func (r runView) pages() string {
	switch {
	case r.LastPage > 0 && r.PageCount > 0:
		return fmt.Sprintf("%d-%d of %d", max(r.FirstPage, 1), r.LastPage, r.PageCount)
	case r.Pages > 0:
		return fmt.Sprint(r.Pages)
	}
	return "-"
}

// failure is the one line trackly prints when the run failed, or "".
func (r runView) failure() string {
	if r.Status != "failed" {
		return ""
	}
	msg := r.Error.or("no error recorded")
	if r.ErrorKind != "" {
		return "TUNE: " + strings.TrimPrefix(string(msg), "tune: ")
	}
	return fmt.Sprintf("sync of %s failed: %s", r.IntegrationID, msg)
}

func printRun(w io.Writer, r runView) {
	row(w, "Integration", string(r.IntegrationID))
	row(w, "Run", r.RunID.or("-"))
	row(w, "Trigger", r.Trigger.or("-"))
	row(w, "Status", r.Status.or("-")+yesNo(r.Complete, ", whole listing read", ""))
	row(w, "Started", when(r.StartedAt))
	row(w, "Duration", r.duration())
	row(w, "Pages", r.pages())
	row(w, "Offers", fmt.Sprintf("%d seen: %d new, %d changed, %d unchanged, %d removed, %d restored, %d failed",
		r.OffersSeen, r.OffersNew, r.OffersChanged, r.OffersUnchanged, r.OffersRemoved, r.OffersRestored, r.OffersFailed))
	row(w, "TUNE calls", fmt.Sprint(r.TUNECalls))
	if r.ResumedFrom != "" {
		row(w, "Resumed from", string(r.ResumedFrom))
	}
	if r.Error != "" {
		row(w, "Error", string(r.Error)+yesNo(r.ErrorKind != "", " ("+string(r.ErrorKind)+")", ""))
	}
}

func runTable(w io.Writer, runs []runView, withIntegration bool) {
	head := []string{"STARTED", "RUN", "TRIGGER", "STATUS", "DURATION", "PAGES", "SEEN", "NEW", "CHANGED", "REMOVED", "CALLS", "ERROR"}
	if withIntegration {
		head = append([]string{"INTEGRATION"}, head...)
	}
	row(w, head...)
	for _, r := range runs {
		cells := []string{when(r.StartedAt), string(r.RunID), string(r.Trigger), string(r.Status), r.duration(), r.pages(),
			fmt.Sprint(r.OffersSeen), fmt.Sprint(r.OffersNew), fmt.Sprint(r.OffersChanged), fmt.Sprint(r.OffersRemoved),
			fmt.Sprint(r.TUNECalls), dash(firstLine(string(r.Error)))}
		if withIntegration {
			cells = append([]string{string(r.IntegrationID)}, cells...)
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
	ref := c.addIntegrationFlag(cmd, false)
	p := newPayload(cmd)
	status := cmd.Flags().StringSlice("status", nil, "only offers with these statuses: active, paused, pending, deleted")
	p.str("search", "search", "only offers whose name contains this text")
	p.integer("page", "page", "page number, from 1")
	p.integer("limit", "limit", "offers per page (default 50, at most 500)")
	_ = cmd.RegisterFlagCompletionFunc("status", fixedCompletion("active", "paused", "pending", "deleted"))
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		id, _ := ref.id(nil)
		body := p.build("list_remote_offers")
		body["integration_id"] = id
		if len(*status) > 0 {
			body["status"] = *status
		}
		raw, err := c.invoke(cmd.Context(), offerSyncFunction, body)
		if err != nil {
			return err
		}
		v, err := emitV(c, raw, func(w io.Writer, v struct {
			Offers    []offerView `json:"offers"`
			Page      int         `json:"page"`
			PageCount int         `json:"page_count"`
			Count     int         `json:"count"`
		}) {
			if len(v.Offers) == 0 {
				fmt.Fprintln(w, "No offers match.")
				return
			}
			row(w, "ID", "NAME", "STATUS", "PAYOUT", "TYPE", "ADVERTISER", "EXPIRES", "IMPORTED")
			for _, o := range v.Offers {
				row(w, string(o.OfferID), string(o.Name), o.status(), o.payout(), o.PayoutType.or("-"), o.AdvertiserName.or("-"),
					expires(o.ExpirationDate), yesNo(o.Imported, "yes", "no"))
			}
		})
		if err != nil || c.output != "table" || len(v.Offers) == 0 {
			return err
		}
		fmt.Fprintf(c.stderr, "Page %d of %d (%d offers).", v.Page, v.PageCount, v.Count)
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
		offerIDs   []string
		all        bool
		status     []string
		search     string
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
	ref := c.addIntegrationFlag(cmd, false)
	f := cmd.Flags()
	f.StringSliceVar(&offerIDs, "offer", nil, "offer ids to import (repeat or separate with commas) (offer_ids)")
	f.BoolVar(&all, "all", false, "import every offer of the network (filter {})")
	f.StringSliceVar(&status, "status", nil, "import every offer with these statuses (filter.status)")
	f.StringVar(&search, "search", "", "import every offer whose name contains this text (filter.search)")
	f.BoolVar(&noProgress, "no-progress", false, "do not show progress on a terminal")
	_ = cmd.RegisterFlagCompletionFunc("status", fixedCompletion("active", "paused", "pending", "deleted"))
	cmd.MarkFlagsMutuallyExclusive("offer", "all")
	cmd.MarkFlagsMutuallyExclusive("offer", "status")
	cmd.MarkFlagsMutuallyExclusive("offer", "search")
	cmd.MarkFlagsOneRequired("offer", "all", "status", "search")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		id, _ := ref.id(nil)
		body := map[string]any{"action": "import_offers", "integration_id": id}
		if len(offerIDs) > 0 {
			body["offer_ids"] = offerIDs
		} else {
			filter := map[string]any{}
			if len(status) > 0 {
				filter["status"] = status
			}
			if search != "" {
				filter["search"] = search
			}
			body["filter"] = filter
		}
		raw, err := c.withProgress(cmd.Context(), !noProgress, id, "import", "importing into "+id, func(ctx context.Context) (json.RawMessage, error) {
			return c.invoke(ctx, offerSyncFunction, body)
		})
		if err != nil {
			return err
		}
		return emit(c, raw, func(w io.Writer, v struct {
			IntegrationID text   `json:"integration_id"`
			RunID         text   `json:"run_id"`
			Imported      int    `json:"imported"`
			New           int    `json:"new"`
			Updated       int    `json:"updated"`
			Unchanged     int    `json:"unchanged"`
			NotFound      []text `json:"not_found"`
			Failed        []struct {
				OfferID text `json:"offer_id"`
				Error   text `json:"error"`
			} `json:"failed"`
			Complete      bool        `json:"complete"`
			Message       text        `json:"message"`
			Offers        []offerView `json:"offers"`
			OffersOmitted int         `json:"offers_omitted"`
		}) {
			fmt.Fprintf(w, "Imported %d offers into %s: %d new, %d updated, %d unchanged (run %s).\n",
				v.Imported, v.IntegrationID, v.New, v.Updated, v.Unchanged, v.RunID)
			if len(v.NotFound) > 0 {
				ids := make([]string, len(v.NotFound))
				for i, id := range v.NotFound {
					ids[i] = string(id)
				}
				fmt.Fprintf(w, "Not found on the network (or not visible to the key): %s\n", strings.Join(ids, ", "))
			}
			for _, fl := range v.Failed {
				fmt.Fprintf(w, "Failed: offer %s: %s\n", fl.OfferID, fl.Error)
			}
			if !v.Complete {
				fmt.Fprintln(w, v.Message.or("The import did not finish; run it again to continue."))
			}
			if len(v.Offers) > 0 {
				fmt.Fprintln(w)
				offerTable(w, v.Offers, 20)
				if v.OffersOmitted > 0 || len(v.Offers) > 20 {
					fmt.Fprintf(w, "\nAll of them: trackly offers list --integration %s\n", v.IntegrationID)
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
	ref := c.addIntegrationFlag(cmd, false)
	p := newPayload(cmd)
	p.boolean("include-removed", "include_removed", "also list offers TUNE no longer returns")
	p.paging("offers")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		id, _ := ref.id(nil)
		body := p.build("list_offers")
		body["integration_id"] = id
		raw, err := c.invoke(cmd.Context(), offerSyncFunction, body)
		if err != nil {
			return err
		}
		v, err := emitV(c, raw, func(w io.Writer, v struct {
			IntegrationID text        `json:"integration_id"`
			Offers        []offerView `json:"offers"`
			NextCursor    text        `json:"next_cursor"`
		}) {
			if len(v.Offers) == 0 {
				fmt.Fprintf(w, "No offers imported into %s yet: trackly offers import --integration %s --offer ID\n", v.IntegrationID, v.IntegrationID)
				return
			}
			offerTable(w, v.Offers, 0)
		})
		if err != nil {
			return err
		}
		c.nextPage(v.NextCursor)
		return nil
	}
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
	ref := c.addIntegrationFlag(cmd, false)
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "do not show progress on a terminal")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		id, _ := ref.id(nil)
		raw, err := c.withProgress(cmd.Context(), !noProgress, id, "manual", "syncing "+id, func(ctx context.Context) (json.RawMessage, error) {
			return c.invoke(ctx, offerSyncFunction, map[string]any{"action": "sync_offers", "integration_id": id})
		})
		if err != nil {
			return err
		}
		run, err := emitV(c, raw, printRun)
		if err != nil {
			return err
		}
		if run.Status == "skipped" {
			fmt.Fprintln(c.stderr, "trackly: the sync did not run: "+run.Error.or("another sync of this integration is running"))
		}
		if msg := run.failure(); msg != "" {
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
	ref := c.addIntegrationFlag(list, false)
	p := newPayload(list)
	p.paging("runs")
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		id, _ := ref.id(nil)
		body := p.build("list_sync_runs")
		body["integration_id"] = id
		raw, err := c.invoke(cmd.Context(), offerSyncFunction, body)
		if err != nil {
			return err
		}
		v, err := emitV(c, raw, func(w io.Writer, v struct {
			IntegrationID text      `json:"integration_id"`
			Runs          []runView `json:"runs"`
			NextCursor    text      `json:"next_cursor"`
		}) {
			if len(v.Runs) == 0 {
				fmt.Fprintf(w, "No sync runs for %s yet.\n", v.IntegrationID)
				return
			}
			runTable(w, v.Runs, false)
		})
		if err != nil {
			return err
		}
		c.nextPage(v.NextCursor)
		return nil
	}
	return group("sync-runs", "Inspect offer sync runs", "  trackly sync-runs list --integration in_demo", list)
}

// dueView is sync_due's answer.
type dueView struct {
	Due        int       `json:"due"`
	Runs       []runView `json:"runs"`
	NotStarted []text    `json:"not_started"`
}

func (c *cli) syncCommand() *cobra.Command {
	due := &cobra.Command{
		Use:   "due",
		Short: "Sync every integration whose scheduled sync is due, as the schedule does (sync_due)",
		Example: `  trackly sync due
  aws lambda invoke --function-name <OfferSyncFunctionName> --payload fileb://events/offersync-sync-due.json out.json   # the same`,
		Args: cobra.NoArgs,
	}
	due.RunE = func(cmd *cobra.Command, _ []string) error {
		raw, err := c.invoke(cmd.Context(), offerSyncFunction, map[string]any{"action": "sync_due"})
		if err != nil {
			return err
		}
		v, err := emitV(c, raw, func(w io.Writer, v dueView) {
			fmt.Fprintf(w, "%d integrations due.\n", v.Due)
			if len(v.Runs) > 0 {
				fmt.Fprintln(w)
				runTable(w, v.Runs, true)
			}
			if len(v.NotStarted) > 0 {
				ids := make([]string, len(v.NotStarted))
				for i, id := range v.NotStarted {
					ids[i] = string(id)
				}
				fmt.Fprintf(w, "\nLeft for the next run (deadline near): %s\n", strings.Join(ids, ", "))
			}
		})
		if err != nil {
			return err
		}
		var failed []string
		for _, r := range v.Runs {
			if msg := r.failure(); msg != "" {
				failed = append(failed, string(r.IntegrationID)+": "+msg)
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("%d of %d syncs failed: %s", len(failed), len(v.Runs), strings.Join(failed, "; "))
		}
		return nil
	}
	return group("sync", "Run scheduled work on demand", "  trackly sync due", due)
}

// connectionView is test_connection's answer.
type connectionView struct {
	OK            bool `json:"ok"`
	IntegrationID text `json:"integration_id"`
	KeyKind       text `json:"key_kind"`
	NetworkID     text `json:"network_id"`
	OfferCount    *int `json:"offer_count"`
	Cause         text `json:"cause"`
	Message       text `json:"message"`
	Hint          text `json:"hint"`
}

// integrationsTest is `integrations test`: OfferSyncFunction test_connection.
func (c *cli) integrationsTest() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test [INTEGRATION]",
		Short: "Test the connection to TUNE with the integration's settings and key (test_connection)",
		Example: `  trackly integrations test in_demo
  trackly integrations test -i in_demo -o json | jq .cause`,
	}
	ref := c.addIntegrationFlag(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := ref.id(args)
		if err != nil {
			return err
		}
		raw, err := c.invoke(cmd.Context(), offerSyncFunction, map[string]any{"action": "test_connection", "integration_id": id})
		if err != nil {
			return err
		}
		v, err := emitV(c, raw, func(w io.Writer, v connectionView) {
			if v.OK {
				offers := "?"
				if v.OfferCount != nil {
					offers = fmt.Sprint(*v.OfferCount)
				}
				fmt.Fprintf(w, "Connection OK: %s key on network %s, %s offers visible.\n", v.KeyKind.or("?"), v.NetworkID.or("?"), offers)
				return
			}
			row(w, "Connection", "FAILED")
			row(w, "Cause", v.Cause.or("-"))
			row(w, "Message", v.Message.or("-"))
			row(w, "Hint", v.Hint.or("-"))
		})
		if err != nil || v.OK {
			return err
		}
		msg := strings.TrimPrefix(string(v.Message.or(string(v.Cause))), "tune: ")
		if v.Cause == "no_api_key" || v.Cause == "invalid_settings" {
			return fmt.Errorf("connection test failed: %s", msg)
		}
		return fmt.Errorf("TUNE: %s", msg)
	}
	return cmd
}
