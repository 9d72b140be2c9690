package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/internal/adminapi"
)

func reportCells(l adminapi.ReportLine, byDay bool, id string) []string {
	rate := "-"
	if l.ConversionRate != "" {
		rate = l.ConversionRate + "%"
	}
	cells := []string{id}
	if byDay {
		cells = append(cells, dash(l.Day))
	}
	return append(cells, fmt.Sprint(l.Clicks), fmt.Sprint(l.Conversions), fmt.Sprint(l.PendingConversions), fmt.Sprint(l.RejectedConversions),
		amounts(l.Revenue), amounts(l.PendingRevenue), amounts(l.EPC), rate)
}

func printReport(w io.Writer, r adminapi.AccountReport) {
	scope := string(r.Dimension)
	if r.ID != "" {
		scope += " " + r.ID
	}
	fmt.Fprintf(w, "Account %s by %s, %s to %s\n\n", r.AccountID, scope, r.From, r.To)
	head := []string{"ID"}
	if r.ByDay {
		head = append(head, "DAY")
	}
	row(w, append(head, "CLICKS", "CONVERSIONS", "PENDING", "REJECTED", "REVENUE", "PENDING REVENUE", "EPC", "CONV. RATE")...)
	for _, l := range r.Lines {
		row(w, reportCells(l, r.ByDay, l.ID)...)
	}
	if len(r.Lines) == 0 {
		row(w, "(no clicks or conversions)")
	}
	total := reportCells(r.Total, r.ByDay, "TOTAL")
	if r.ByDay {
		total[1] = ""
	}
	row(w, total...)
}

func (c *cli) reportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Clicks, conversions, revenue, EPC and conversion rate of an account (report)",
		Long: `Report an account's clicks, conversions and revenue by message, offer, campaign or
account over a range of days (default: the last 30 days), with EPC (revenue per click,
per currency) and conversion rate (approved conversions per click). Amounts are
printed exactly as stored.`,
		Example: `  trackly report --account demo
  trackly report --account demo --dimension offer --from 2026-01-01 --to 2026-01-31
  trackly report --account demo --dimension campaign --id spring-sale --by-day -o json`,
		Args: cobra.NoArgs,
	}
	var q adminapi.ReportQuery
	p := newPayload(cmd, &q)
	p.str(&q.AccountID, "account", "account id")
	p.str((*string)(&q.Dimension), "dimension", "report by message (default), offer, campaign or account")
	p.str(&q.ID, "id", "only this message, offer or campaign id")
	p.str(&q.From, "from", "first day, like 2026-01-01 (default: 29 days before --to)")
	p.str(&q.To, "to", "last day, like 2026-01-31 (default: today, UTC)")
	p.boolean(&q.ByDay, "by-day", "one line per day")
	markRequired(cmd, "account")
	_ = cmd.RegisterFlagCompletionFunc("dimension", fixedCompletion("message", "offer", "campaign", "account"))
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		raw, err := c.invoke(cmd.Context(), adminapi.Report, p)
		if err != nil {
			return err
		}
		return emit(c, raw, printReport)
	}
	return cmd
}

func (c *cli) conversionsCommand() *cobra.Command {
	return group("conversions", "List conversions and orphans",
		"  trackly conversions list --account demo\n  trackly conversions orphans --account demo",
		c.conversionsList(), c.conversionsOrphans())
}

func nextConversions(l adminapi.ConversionList) string { return l.NextCursor }

func (c *cli) conversionsList() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List an account's conversions, newest first (list_conversions)",
		Example: `  trackly conversions list --account demo
  trackly conversions list --account demo --attribution attributed --limit 50 -o json`,
		Args: cobra.NoArgs,
	}
	var q adminapi.ConversionQuery
	p := newPayload(cmd, &q)
	p.str(&q.AccountID, "account", "account id")
	p.str((*string)(&q.Attribution), "attribution", "only attributed or orphan conversions")
	markRequired(cmd, "account")
	_ = cmd.RegisterFlagCompletionFunc("attribution", fixedCompletion("attributed", "orphan"))
	pagedList[adminapi.ConversionList]{
		action: adminapi.ListConversions, what: "conversions", limit: &q.Limit, cursor: &q.Cursor, next: nextConversions,
		table: func(w io.Writer, v adminapi.ConversionList) {
			if len(v.Conversions) == 0 {
				fmt.Fprintln(w, "No conversions.")
				return
			}
			row(w, "RECEIVED", "CONVERSION", "GOAL", "STATUS", "PAYOUT", "ATTRIBUTION", "MESSAGE", "OFFER", "CAMPAIGN", "LINK", "CLICK")
			for _, cv := range v.Conversions {
				row(w, when(cv.ReceivedAt), cv.ConversionID, dash(cv.GoalID), string(cv.Status), cv.Payout.String()+" "+cv.Currency,
					string(cv.Attribution), dash(cv.MessageID), dash(cv.OfferID), dash(cv.CampaignID), dash(cv.LinkID), dash(cv.ClickID))
			}
		},
	}.setUp(c, p)
	return cmd
}

func (c *cli) conversionsOrphans() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "orphans",
		Short: "List conversions whose click is unknown (yet): list_conversions with orphans",
		Long: `List an account's orphan conversions: postbacks whose click id matched no click (yet).
They are attributed automatically if the click shows up later.`,
		Example: "  trackly conversions orphans --account demo\n  trackly conversions orphans --account demo -o json | jq '.conversions | length'",
		Args:    cobra.NoArgs,
	}
	q := adminapi.ConversionQuery{Orphans: true}
	p := newPayload(cmd, &q)
	p.str(&q.AccountID, "account", "account id")
	markRequired(cmd, "account")
	pagedList[adminapi.ConversionList]{
		action: adminapi.ListConversions, what: "conversions", limit: &q.Limit, cursor: &q.Cursor, next: nextConversions,
		table: func(w io.Writer, v adminapi.ConversionList) {
			if len(v.Conversions) == 0 {
				fmt.Fprintln(w, "No orphan conversions.")
				return
			}
			row(w, "RECEIVED", "CONVERSION", "GOAL", "STATUS", "PAYOUT", "INTEGRATION", "OFFER", "CLICK")
			for _, cv := range v.Conversions {
				row(w, when(cv.ReceivedAt), cv.ConversionID, dash(cv.GoalID), string(cv.Status), cv.Payout.String()+" "+cv.Currency,
					cv.IntegrationID, dash(cv.OfferID), dash(cv.ClickID))
			}
		},
	}.setUp(c, p)
	return cmd
}

func (c *cli) postbacksCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List the postbacks received on a day and what became of them (list_postbacks)",
		Example: `  trackly postbacks list
  trackly postbacks list --day 2026-01-31 --outcome orphaned -o json`,
		Args: cobra.NoArgs,
	}
	var q adminapi.PostbackQuery
	p := newPayload(list, &q)
	p.str(&q.Day, "day", "day (UTC) like 2026-01-31 (default: today)")
	p.str((*string)(&q.Outcome), "outcome", "only this outcome: accepted, invalid, rejected, failed, attributed, orphaned, duplicate")
	_ = list.RegisterFlagCompletionFunc("outcome", fixedCompletion("accepted", "invalid", "rejected", "failed", "attributed", "orphaned", "duplicate"))
	pagedList[adminapi.PostbackList]{
		action: adminapi.ListPostbacks, what: "postbacks", limit: &q.Limit, cursor: &q.Cursor,
		next: func(l adminapi.PostbackList) string { return l.NextCursor },
		table: func(w io.Writer, v adminapi.PostbackList) {
			if len(v.Postbacks) == 0 {
				fmt.Fprintf(w, "No postbacks on %s.\n", v.Day)
				return
			}
			row(w, "RECEIVED", "METHOD", "HTTP", "OUTCOME", "CONVERSION", "PAYOUT", "CLICK", "REASON")
			for _, pb := range v.Postbacks {
				payout := dash(pb.Params["payout"])
				if cur := pb.Params["currency"]; cur != "" && payout != "-" {
					payout += " " + cur
				}
				row(w, when(pb.ReceivedAt), pb.Method, fmt.Sprint(pb.HTTPStatus), string(pb.Outcome),
					dash(pb.Params["conversion_id"]), payout, dash(pb.Params["click_id"]), dash(pb.Reason))
			}
		},
	}.setUp(c, p)
	return group("postbacks", "Inspect received postbacks", "  trackly postbacks list --day 2026-01-31", list)
}
