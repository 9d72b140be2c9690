package main

import (
	"cmp"
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
	reversed := fmt.Sprint(l.ReversedConversions)
	if l.ReversedConversions != 0 {
		reversed += " (" + amounts(l.ReversedRevenue) + ")"
	}
	return append(cells, fmt.Sprint(l.Clicks), fmt.Sprint(l.Conversions), fmt.Sprint(l.PendingConversions), fmt.Sprint(l.RejectedConversions),
		reversed, amounts(l.Revenue), amounts(l.PendingRevenue), amounts(l.EPC), rate)
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
	row(w, append(head, "CLICKS", "CONVERSIONS", "PENDING", "REJECTED", "REVERSED", "REVENUE", "PENDING REVENUE", "EPC", "CONV. RATE")...)
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
per currency) and conversion rate (approved conversions per click). REVERSED counts
the rejected conversions that were approved before (chargebacks), with the revenue
they took back. Amounts are printed exactly as stored.`,
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
	return group("conversions", "List, show and correct conversions, list orphans, and reconcile them with TUNE",
		"  trackly conversions list --account demo\n  trackly conversions show -i in_demo tx-1\n  trackly conversions orphans --account demo\n"+
			"  trackly conversions reconcile -i in_demo\n  trackly conversions runs -i in_demo",
		c.conversionsList(), c.conversionsShow(), c.conversionsChange(), c.conversionsOrphans(), c.conversionsReconcile(), c.conversionsRuns())
}

func printConversion(w io.Writer, cv adminapi.Conversion) {
	row(w, "Conversion", cv.ConversionID+" goal "+dash(cv.GoalID))
	row(w, "Integration", cv.IntegrationID)
	row(w, "Account", cv.AccountID)
	row(w, "Status", string(cv.Status)+reversedNote(cv.Reversed))
	row(w, "Payout", cv.Payout.String()+" "+cv.Currency)
	row(w, "Attribution", string(cv.Attribution))
	row(w, "Message", dash(cv.MessageID))
	row(w, "Offer", dash(cv.OfferID))
	row(w, "Click", dash(cv.ClickID))
	row(w, "Received", when(cv.ReceivedAt))
	row(w, "Version", fmt.Sprint(cv.Version))
	if !cv.MissingAtTUNE.IsZero() {
		row(w, "Missing at TUNE", "since "+when(cv.MissingAtTUNE)+" (run "+cv.MissingRunID+")")
	}
	printf(w, "\nHistory\n")
	row(w, "VERSION", "WHEN", "SOURCE", "FROM", "TO", "BY")
	for _, ch := range cv.History {
		from := "-"
		if ch.From != nil {
			from = ch.From.String()
		}
		row(w, fmt.Sprint(ch.Version), when(ch.At), string(ch.Source), from, ch.To.String(), dash(cmp.Or(ch.PostbackID, ch.RunID, ch.Note)))
	}
}

func reversedNote(reversed bool) string {
	if reversed {
		return " (reversed: approved before)"
	}
	return ""
}

// conversionRef binds the flags and the argument that name a conversion.
func conversionRef(cmd *cobra.Command, p *payload, ref *adminapi.ConversionRef) {
	p.strP(&ref.IntegrationID, "integration", "i", "integration id")
	p.str(&ref.GoalID, "goal", "goal id (default 0, TUNE's default goal)")
	markRequired(cmd, "integration")
	cmd.Args = func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usagef("which conversion? name its TUNE transaction id, e.g. trackly conversions %s -i in_demo tx-1", cmd.Name())
		}
		ref.ConversionID = args[0]
		return nil
	}
}

func (c *cli) conversionsShow() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "show CONVERSION_ID",
		Short:   "Show a conversion and every change to it (get_conversion)",
		Example: "  trackly conversions show -i in_demo tx-1\n  trackly conversions show -i in_demo tx-1 --goal 2 -o json",
	}
	var ref adminapi.ConversionRef
	p := newPayload(cmd, &ref)
	conversionRef(cmd, p, &ref)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return send(cmd.Context(), c, adminapi.GetConversion, p, printConversion)
	}
	return cmd
}

func (c *cli) conversionsChange() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "change CONVERSION_ID",
		Short: "Correct a conversion's status, payout or currency, with a note (change_conversion)",
		Long: `Correct a conversion as the network has: approve or reject it, or correct its payout or
currency. The change is one new version, kept in the conversion's history with your
note, and the report moves by the difference. A decided conversion is never made
pending again.`,
		Example: `  trackly conversions change -i in_demo tx-1 --status approved --note "approved by the advertiser, ticket 4411"
  trackly conversions change -i in_demo tx-1 --payout 10.00 --note "advertiser's corrected figure"`,
	}
	var r adminapi.ConversionChange
	p := newPayload(cmd, &r)
	conversionRef(cmd, p, &r.Ref)
	p.str((*string)(&r.Status), "status", "approved, pending or rejected")
	p.str(&r.Payout, "payout", "the corrected payout, like 10.00")
	p.str(&r.Currency, "currency", "the corrected currency, like EUR")
	p.str(&r.Note, "note", "why (kept in the conversion's history)")
	markRequired(cmd, "note")
	_ = cmd.RegisterFlagCompletionFunc("status", fixedCompletion("approved", "pending", "rejected"))
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return send(cmd.Context(), c, adminapi.ChangeConversion, p, func(w io.Writer, v adminapi.ConversionChanged) {
			printf(w, "%s\n\n", v.Outcome)
			printConversion(w, v.Conversion)
		})
	}
	return cmd
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
