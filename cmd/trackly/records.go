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
	printf(w, "Account %s by %s, %s to %s\n\n", r.AccountID, scope, r.From, r.To)
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
	p.account(&q.AccountID)
	p.str((*string)(&q.Dimension), "dimension", "report by message (default), offer, campaign or account")
	p.str(&q.ID, "id", "only this message, offer or campaign id")
	p.str(&q.From, "from", "first day, like 2026-01-01 (default: 29 days before --to)")
	p.str(&q.To, "to", "last day, like 2026-01-31 (default: today, UTC)")
	p.boolean(&q.ByDay, "by-day", "one line per day")
	_ = cmd.RegisterFlagCompletionFunc("dimension", fixedCompletion("message", "offer", "campaign", "account"))
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return send(cmd.Context(), c, adminapi.Report, p, printReport)
	}
	return cmd
}

func (c *cli) conversionsCommand() *cobra.Command {
	return group("conversions", "List conversions and orphans",
		"  trackly conversions list --account demo\n  trackly conversions orphans --account demo",
		c.conversionsList(), c.conversionsOrphans())
}

func (c *cli) conversionsList() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List an account's conversions, newest first (list_conversions)",
		Example: `  trackly conversions list --account demo
  trackly conversions list --account demo --attribution attributed --limit 50 -o json`,
		Args: cobra.NoArgs,
	}
	var q adminapi.ConversionQuery
	p := c.conversionPages(cmd, &q, "No conversions.",
		[]string{"ATTRIBUTION", "MESSAGE", "OFFER", "CAMPAIGN", "LINK", "CLICK"},
		func(cv adminapi.Conversion) []string {
			return []string{string(cv.Attribution), dash(cv.MessageID), dash(cv.OfferID), dash(cv.CampaignID), dash(cv.LinkID), dash(cv.ClickID)}
		})
	p.str((*string)(&q.Attribution), "attribution", "only attributed or orphan conversions")
	_ = cmd.RegisterFlagCompletionFunc("attribution", fixedCompletion("attributed", "orphan"))
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
	c.conversionPages(cmd, &q, "No orphan conversions.",
		[]string{"INTEGRATION", "OFFER", "CLICK"},
		func(cv adminapi.Conversion) []string {
			return []string{cv.IntegrationID, dash(cv.OfferID), dash(cv.ClickID)}
		})
	return cmd
}

// conversionPages sets up cmd to list, a page at a time, the conversions of
// the account of --account that q asks for, and returns cmd's payload. Its
// table has the columns of every conversion, then the head columns, which
// cells fills for each conversion; none is what it prints for a page with no
// conversions.
func (c *cli) conversionPages(cmd *cobra.Command, q *adminapi.ConversionQuery, none string, head []string, cells func(adminapi.Conversion) []string) *payload {
	p := newPayload(cmd, q)
	p.account(&q.AccountID)
	pagedList[adminapi.ConversionList]{
		action: adminapi.ListConversions, what: "conversions", limit: &q.Limit, cursor: &q.Cursor,
		empty: func(v adminapi.ConversionList) (string, bool) { return none, len(v.Conversions) == 0 },
		table: func(w io.Writer, v adminapi.ConversionList) {
			row(w, append([]string{"RECEIVED", "CONVERSION", "GOAL", "STATUS", "PAYOUT"}, head...)...)
			for _, cv := range v.Conversions {
				row(w, append([]string{when(cv.ReceivedAt), cv.ConversionID, dash(cv.GoalID), string(cv.Status), cv.Payout.String() + " " + cv.Currency},
					cells(cv)...)...)
			}
		},
	}.setUp(c, p)
	return p
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
		empty: func(v adminapi.PostbackList) (string, bool) {
			what := "postbacks"
			if q.Outcome != "" {
				what = string(q.Outcome) + " postbacks"
			}
			return fmt.Sprintf("No %s on %s.", what, v.Day), len(v.Postbacks) == 0
		},
		table: func(w io.Writer, v adminapi.PostbackList) {
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
