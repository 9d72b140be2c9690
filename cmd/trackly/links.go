package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/internal/adminapi"
)

func printLink(w io.Writer, l adminapi.Link) {
	offer := l.OfferID
	if l.OfferName != "" {
		offer += " (" + l.OfferName + ")"
	}
	row(w, "Link", l.LinkID)
	row(w, "URL", l.URL)
	row(w, "Account", l.AccountID)
	row(w, "Integration", l.IntegrationID)
	row(w, "Offer", offer)
	row(w, "Message", l.MessageID)
	row(w, "Campaign", dash(l.CampaignID))
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
	var r adminapi.LinkRequest
	p := newPayload(create, &r)
	p.str(&r.LinkID, "id", "choose the link id, the path of /c/<id> (default: a short random id)")
	p.account(&r.AccountID)
	p.strP(&r.IntegrationID, "integration", "i", "integration id")
	p.str(&r.OfferID, "offer", "imported offer id")
	p.str(&r.MessageID, "message", "Trackly SMS message id")
	p.str(&r.CampaignID, "campaign", "Trackly campaign id (optional)")
	markRequired(create, "integration", "offer", "message")
	_ = create.RegisterFlagCompletionFunc("integration", c.completeIntegrations)
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		return send(cmd.Context(), c, adminapi.CreateLink, p, printLink)
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
		return send(cmd.Context(), c, adminapi.GetLink, adminapi.LinkRef{LinkID: args[0]}, printLink)
	}
	return group("links", "Create and show tracked SMS links",
		"  trackly links create --account demo -i in_demo --offer 1 --message sms-42\n  trackly links show demo",
		create, show)
}
