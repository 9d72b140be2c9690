package main

import (
	"io"

	"github.com/spf13/cobra"
)

// linkView is a tracked link as create_link and get_link return it.
type linkView struct {
	LinkID        text `json:"link_id"`
	URL           text `json:"url"`
	AccountID     text `json:"account_id"`
	IntegrationID text `json:"integration_id"`
	OfferID       text `json:"offer_id"`
	OfferName     text `json:"offer_name"`
	MessageID     text `json:"message_id"`
	CampaignID    text `json:"campaign_id"`
	CreatedAt     text `json:"created_at"`
}

func printLink(w io.Writer, l linkView) {
	offer := string(l.OfferID)
	if l.OfferName != "" {
		offer += " (" + string(l.OfferName) + ")"
	}
	row(w, "Link", string(l.LinkID))
	row(w, "URL", string(l.URL))
	row(w, "Account", string(l.AccountID))
	row(w, "Integration", string(l.IntegrationID))
	row(w, "Offer", offer)
	row(w, "Message", string(l.MessageID))
	row(w, "Campaign", l.CampaignID.or("-"))
	row(w, "Created", when(l.CreatedAt))
}

func (c *cli) linksCommand() *cobra.Command {
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a tracked SMS link for a message and an imported offer (create_link)",
		Example: `  trackly links create --account demo --integration in_demo --offer 1 --message sms-42 --campaign spring-sale
  URL=$(trackly links create --account demo -i in_demo --offer 1 --message sms-43 -o json | jq -r .url)`,
		Args: cobra.NoArgs,
	}
	p := newPayload(create)
	p.str("id", "link_id", "choose the link id, the path of /c/<id> (default: a short random id)")
	p.str("account", "account_id", "account id")
	p.strP("integration", "i", "integration_id", "integration id")
	p.str("offer", "offer_id", "imported offer id")
	p.str("message", "message_id", "Trackly SMS message id")
	p.str("campaign", "campaign_id", "Trackly campaign id (optional)")
	markRequired(create, "account", "integration", "offer", "message")
	_ = create.RegisterFlagCompletionFunc("integration", c.completeIntegrations)
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		raw, err := c.invoke(cmd.Context(), adminFunction, p.build("create_link"))
		if err != nil {
			return err
		}
		return emit(c, raw, printLink)
	}

	show := &cobra.Command{
		Use:     "show LINK",
		Short:   "Show a tracked link (get_link)",
		Example: "  trackly links show demo\n  trackly links show demo -o json",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("which link? e.g. trackly links show demo")
			}
			return nil
		},
	}
	show.RunE = func(cmd *cobra.Command, args []string) error {
		raw, err := c.invoke(cmd.Context(), adminFunction, map[string]any{"action": "get_link", "link_id": args[0]})
		if err != nil {
			return err
		}
		return emit(c, raw, printLink)
	}
	return group("links", "Create and show tracked SMS links",
		"  trackly links create --account demo -i in_demo --offer 1 --message sms-42\n  trackly links show demo",
		create, show)
}
