package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// reportLine is a line of a report (reports.Line).
type reportLine struct {
	ID                  text    `json:"id"`
	Day                 text    `json:"day"`
	Clicks              text    `json:"clicks"`
	Conversions         text    `json:"conversions"`
	PendingConversions  text    `json:"pending_conversions"`
	RejectedConversions text    `json:"rejected_conversions"`
	Revenue             amounts `json:"revenue"`
	PendingRevenue      amounts `json:"pending_revenue"`
	EPC                 amounts `json:"epc"`
	ConversionRate      text    `json:"conversion_rate"`
}

type reportView struct {
	AccountID text         `json:"account_id"`
	Dimension text         `json:"dimension"`
	ID        text         `json:"id"`
	From      text         `json:"from"`
	To        text         `json:"to"`
	ByDay     bool         `json:"by_day"`
	Lines     []reportLine `json:"lines"`
	Total     reportLine   `json:"total"`
}

func (l reportLine) cells(byDay bool, id string) []string {
	rate := "-"
	if l.ConversionRate != "" {
		rate = string(l.ConversionRate) + "%"
	}
	cells := []string{id}
	if byDay {
		cells = append(cells, l.Day.or("-"))
	}
	return append(cells, l.Clicks.or("0"), l.Conversions.or("0"), l.PendingConversions.or("0"), l.RejectedConversions.or("0"),
		l.Revenue.String(), l.PendingRevenue.String(), l.EPC.String(), rate)
}

func printReport(w io.Writer, r reportView) {
	scope := string(r.Dimension)
	if r.ID != "" {
		scope += " " + string(r.ID)
	}
	fmt.Fprintf(w, "Account %s by %s, %s to %s\n\n", r.AccountID, scope, r.From, r.To)
	head := []string{"ID"}
	if r.ByDay {
		head = append(head, "DAY")
	}
	row(w, append(head, "CLICKS", "CONVERSIONS", "PENDING", "REJECTED", "REVENUE", "PENDING REVENUE", "EPC", "CONV. RATE")...)
	for _, l := range r.Lines {
		row(w, l.cells(r.ByDay, string(l.ID))...)
	}
	if len(r.Lines) == 0 {
		row(w, "(no clicks or conversions)")
	}
	total := r.Total.cells(r.ByDay, "TOTAL")
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
	p := newPayload(cmd)
	p.str("account", "account_id", "account id")
	p.str("dimension", "dimension", "report by message (default), offer, campaign or account")
	p.str("id", "id", "only this message, offer or campaign id")
	p.str("from", "from", "first day, like 2026-01-01 (default: 29 days before --to)")
	p.str("to", "to", "last day, like 2026-01-31 (default: today, UTC)")
	p.boolean("by-day", "by_day", "one line per day")
	markRequired(cmd, "account")
	_ = cmd.RegisterFlagCompletionFunc("dimension", fixedCompletion("message", "offer", "campaign", "account"))
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		raw, err := c.invoke(cmd.Context(), adminFunction, p.build("report"))
		if err != nil {
			return err
		}
		return emit(c, raw, printReport)
	}
	return cmd
}

// conversionView is a stored conversion.
type conversionView struct {
	ConversionID  text `json:"conversion_id"`
	GoalID        text `json:"goal_id"`
	IntegrationID text `json:"integration_id"`
	ClickID       text `json:"click_id"`
	LinkID        text `json:"link_id"`
	MessageID     text `json:"message_id"`
	CampaignID    text `json:"campaign_id"`
	OfferID       text `json:"offer_id"`
	Attribution   text `json:"attribution"`
	Status        text `json:"status"`
	Payout        text `json:"payout"`
	Currency      text `json:"currency"`
	ReceivedAt    text `json:"received_at"`
}

type conversionList struct {
	Conversions []conversionView `json:"conversions"`
	NextCursor  text             `json:"next_cursor"`
}

func (c *cli) conversionsCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List an account's conversions, newest first (list_conversions)",
		Example: `  trackly conversions list --account demo
  trackly conversions list --account demo --attribution attributed --limit 50 -o json`,
		Args: cobra.NoArgs,
	}
	lp := newPayload(list)
	lp.str("account", "account_id", "account id")
	lp.str("attribution", "attribution", "only attributed or orphan conversions")
	lp.paging("conversions")
	markRequired(list, "account")
	_ = list.RegisterFlagCompletionFunc("attribution", fixedCompletion("attributed", "orphan"))
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		raw, err := c.invoke(cmd.Context(), adminFunction, lp.build("list_conversions"))
		if err != nil {
			return err
		}
		v, err := emitV(c, raw, func(w io.Writer, v conversionList) {
			if len(v.Conversions) == 0 {
				fmt.Fprintln(w, "No conversions.")
				return
			}
			row(w, "RECEIVED", "CONVERSION", "GOAL", "STATUS", "PAYOUT", "ATTRIBUTION", "MESSAGE", "OFFER", "CAMPAIGN", "LINK", "CLICK")
			for _, cv := range v.Conversions {
				row(w, when(cv.ReceivedAt), string(cv.ConversionID), cv.GoalID.or("-"), string(cv.Status), string(cv.Payout)+" "+string(cv.Currency),
					string(cv.Attribution), cv.MessageID.or("-"), cv.OfferID.or("-"), cv.CampaignID.or("-"), cv.LinkID.or("-"), cv.ClickID.or("-"))
			}
		})
		if err != nil {
			return err
		}
		c.nextPage(v.NextCursor)
		return nil
	}

	orphans := &cobra.Command{
		Use:   "orphans",
		Short: "List conversions whose click is unknown (yet): list_conversions with orphans",
		Long: `List an account's orphan conversions: postbacks whose click id matched no click (yet).
They are attributed automatically if the click shows up later.`,
		Example: "  trackly conversions orphans --account demo\n  trackly conversions orphans --account demo -o json | jq '.conversions | length'",
		Args:    cobra.NoArgs,
	}
	op := newPayload(orphans)
	op.str("account", "account_id", "account id")
	op.paging("conversions")
	markRequired(orphans, "account")
	orphans.RunE = func(cmd *cobra.Command, _ []string) error {
		body := op.build("list_conversions")
		body["orphans"] = true
		raw, err := c.invoke(cmd.Context(), adminFunction, body)
		if err != nil {
			return err
		}
		v, err := emitV(c, raw, func(w io.Writer, v conversionList) {
			if len(v.Conversions) == 0 {
				fmt.Fprintln(w, "No orphan conversions.")
				return
			}
			row(w, "RECEIVED", "CONVERSION", "GOAL", "STATUS", "PAYOUT", "INTEGRATION", "OFFER", "CLICK")
			for _, cv := range v.Conversions {
				row(w, when(cv.ReceivedAt), string(cv.ConversionID), cv.GoalID.or("-"), string(cv.Status), string(cv.Payout)+" "+string(cv.Currency),
					string(cv.IntegrationID), cv.OfferID.or("-"), cv.ClickID.or("-"))
			}
		})
		if err != nil {
			return err
		}
		c.nextPage(v.NextCursor)
		return nil
	}
	return group("conversions", "List conversions and orphans",
		"  trackly conversions list --account demo\n  trackly conversions orphans --account demo", list, orphans)
}

// postbackView is a logged postback (trackly.PostbackLogEntry).
type postbackView struct {
	ReceivedAt text            `json:"received_at"`
	PostbackID text            `json:"postback_id"`
	Method     text            `json:"method"`
	Params     map[string]text `json:"params"`
	SourceIP   text            `json:"source_ip"`
	Outcome    text            `json:"outcome"`
	Reason     text            `json:"reason"`
	HTTPStatus text            `json:"http_status"`
}

func (c *cli) postbacksCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List the postbacks received on a day and what became of them (list_postbacks)",
		Example: `  trackly postbacks list
  trackly postbacks list --day 2026-01-31 --outcome orphaned -o json`,
		Args: cobra.NoArgs,
	}
	p := newPayload(list)
	p.str("day", "day", "day (UTC) like 2026-01-31 (default: today)")
	p.str("outcome", "outcome", "only this outcome: accepted, invalid, rejected, failed, attributed, orphaned, duplicate")
	p.paging("postbacks")
	_ = list.RegisterFlagCompletionFunc("outcome", fixedCompletion("accepted", "invalid", "rejected", "failed", "attributed", "orphaned", "duplicate"))
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		raw, err := c.invoke(cmd.Context(), adminFunction, p.build("list_postbacks"))
		if err != nil {
			return err
		}
		v, err := emitV(c, raw, func(w io.Writer, v struct {
			Day        text           `json:"day"`
			Postbacks  []postbackView `json:"postbacks"`
			NextCursor text           `json:"next_cursor"`
		}) {
			if len(v.Postbacks) == 0 {
				fmt.Fprintf(w, "No postbacks on %s.\n", v.Day)
				return
			}
			row(w, "RECEIVED", "METHOD", "HTTP", "OUTCOME", "CONVERSION", "PAYOUT", "CLICK", "REASON")
			for _, pb := range v.Postbacks {
				payout := pb.Params["payout"].or("-")
				if cur := pb.Params["currency"]; cur != "" && payout != "-" {
					payout += " " + string(cur)
				}
				row(w, when(pb.ReceivedAt), string(pb.Method), pb.HTTPStatus.or("-"), string(pb.Outcome),
					pb.Params["conversion_id"].or("-"), payout, pb.Params["click_id"].or("-"), pb.Reason.or("-"))
			}
		})
		if err != nil {
			return err
		}
		c.nextPage(v.NextCursor)
		return nil
	}
	return group("postbacks", "Inspect received postbacks", "  trackly postbacks list --day 2026-01-31", list)
}
