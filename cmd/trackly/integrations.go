package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/internal/adminapi"
)

// apiKeyEnv holds a TUNE API key for `integrations add` (and `update --api-key-env`).
const apiKeyEnv = "TRACKLY_TUNE_API_KEY"

// network names an integration's TUNE network and the API it calls.
func network(v adminapi.Integration) string {
	if v.APIBaseURL != "" {
		return dash(v.NetworkID) + " (" + v.APIBaseURL + ")"
	}
	return dash(v.NetworkID) + " (" + or(v.NetworkID, "?") + "." + or(v.APIDomain, "api.hasoffers.com") + ")"
}

func autoSync(v adminapi.Integration) string {
	switch {
	case !v.AutoSync:
		return "off"
	case v.SyncFrequency == "hourly" || v.SyncFrequency == "daily":
		return v.SyncFrequency
	}
	return "every " + or(v.SyncFrequency, "?")
}

func printIntegration(w io.Writer, v adminapi.Integration) {
	key := "not set"
	if v.APIKeySet {
		key = "set (kept secret)"
	}
	row(w, "Integration", v.IntegrationID)
	row(w, "Account", v.AccountID)
	row(w, "Name", v.Name)
	row(w, "Network", network(v))
	row(w, "API key", or(v.KeyKind, "?")+" key, "+key)
	row(w, "Affiliate id", dash(v.AffiliateID))
	row(w, "Click parameter", dash(v.ClickParam))
	row(w, "Default currency", dash(v.DefaultCurrency))
	row(w, "Attribution window", fmt.Sprint(v.AttributionWindowDays)+" days")
	row(w, "TUNE rate limit", fmt.Sprint(v.RateLimit)+" calls / 10 s")
	row(w, "Auto-sync", autoSync(v))
	row(w, "Last sync", when(v.LastSyncAt))
	row(w, "Next sync", yesNo(v.AutoSync, when(v.NextSyncAt), "-"))
	row(w, "Postback token", yesNo(v.RequirePostbackToken, "required", "not required"))
	row(w, "Time zone", dash(v.TimeZone))
	row(w, "Reconciliation", yesNo(v.Reconcile, fmt.Sprintf("%s over %d days", v.ReconcileFrequency, v.ReconcileLookbackDays), "off"))
	row(w, "Last reconciled", when(v.LastReconcileAt))
	row(w, "Next reconciling", yesNo(v.Reconcile, when(v.NextReconcileAt), "-"))
	row(w, "Created", when(v.CreatedAt))
	row(w, "Updated", when(v.UpdatedAt))
}

func printPostbackURL(w io.Writer, v adminapi.GlobalPostbackURL) {
	printf(w, "Postback URL of %s:\n\n  %s\n\n", v.IntegrationID, v.URL)
	if v.Note != "" {
		printf(w, "%s\n", v.Note)
	}
}

func (c *cli) integrationsCommand() *cobra.Command {
	return group("integrations", "Manage TUNE integrations (network connections of an account)",
		`  trackly integrations list --account demo
  trackly integrations show in_demo`,
		c.integrationsAdd(), c.integrationsList(), c.integrationsShow(), c.integrationsUpdate(),
		c.integrationsTest(), c.integrationsPostbackURL(), c.integrationsRotateToken(), c.integrationsAutoSync())
}

// settingsFlags are the flags of the integration settings, with their completions.
func settingsFlags(p *payload, s *adminapi.IntegrationSettings) {
	p.optStr(&s.Name, "name", "display name")
	p.optStr(&s.NetworkID, "network-id", "TUNE network id: \"mynetwork\" for mynetwork.api.hasoffers.com")
	p.optStr(&s.APIDomain, "api-domain", "TUNE API domain (default api.hasoffers.com)")
	p.optStr(&s.APIBaseURL, "api-base-url", "full TUNE API base URL, e.g. https://mynetwork.api.hasoffers.com/Apiv3/json")
	p.optStr(&s.KeyKind, "key-kind", "kind of API key: network or affiliate")
	p.optStr(&s.AffiliateID, "affiliate-id", "TUNE affiliate id (required with a network key)")
	p.optStr(&s.ClickParam, "click-param", "TUNE sub id parameter carrying the click id (default aff_sub)")
	p.optStr(&s.DefaultCurrency, "currency", "default currency (ISO 4217, default USD)")
	p.optInt(&s.AttributionWindowDays, "attribution-window", "attribution window in days (1-365)")
	p.optInt(&s.RateLimit, "rate-limit", "TUNE API calls per 10 seconds (1-1000)")
	p.optBool(&s.AutoSync, "auto-sync", "sync the offers on a schedule")
	p.optStr(&s.SyncFrequency, "sync-frequency", "auto-sync frequency: 15m, hourly, 6h, daily or N minutes")
	p.optBool(&s.RequirePostbackToken, "require-postback-token", "refuse postbacks without the integration's token")
	p.optStr(&s.TimeZone, "time-zone", "the network's time zone, an IANA name like America/New_York (default UTC)")
	p.optBool(&s.Reconcile, "reconcile", "reconcile the conversions with TUNE's conversions report on a schedule (default on)")
	p.optStr(&s.ReconcileFrequency, "reconcile-frequency", "reconciliation frequency: 15m, hourly (default), 6h, daily or N minutes")
	p.optInt(&s.ReconcileLookbackDays, "reconcile-lookback", "days a scheduled reconciliation covers, today included (1-30, default 7)")
	_ = p.cmd.RegisterFlagCompletionFunc("key-kind", fixedCompletion("network", "affiliate"))
	_ = p.cmd.RegisterFlagCompletionFunc("sync-frequency", fixedCompletion("15m", "hourly", "6h", "daily"))
	_ = p.cmd.RegisterFlagCompletionFunc("reconcile-frequency", fixedCompletion("15m", "hourly", "6h", "daily"))
	_ = p.cmd.RegisterFlagCompletionFunc("click-param", fixedCompletion("aff_sub", "aff_sub2", "aff_sub3", "aff_sub4", "aff_sub5", "aff_click_id"))
}

// apiKeyFlags are the ways to pass a TUNE API key without it landing in shell history.
type apiKeyFlags struct {
	plain   string
	stdin   bool
	file    string
	fromEnv bool
}

func (k *apiKeyFlags) register(cmd *cobra.Command, withEnvFlag bool) {
	f := cmd.Flags()
	f.BoolVar(&k.stdin, "api-key-stdin", false, "read the TUNE API key from standard input")
	f.StringVar(&k.file, "api-key-file", "", "read the TUNE API key from this file")
	f.StringVar(&k.plain, "api-key", "", "the TUNE API key itself (discouraged: it stays in your shell history)")
	names := []string{"api-key", "api-key-stdin", "api-key-file"}
	if withEnvFlag {
		f.BoolVar(&k.fromEnv, "api-key-env", false, "read the TUNE API key from $"+apiKeyEnv)
		names = append(names, "api-key-env")
	}
	cmd.MarkFlagsMutuallyExclusive(names...)
}

// read returns the API key the flags point to; ok is false when none was given.
func (c *cli) readAPIKey(k *apiKeyFlags, envByDefault bool) (key string, ok bool, err error) {
	switch {
	case k.plain != "":
		fmt.Fprintln(c.stderr, "trackly: warning: --api-key leaves the key in your shell history; prefer --api-key-stdin, --api-key-file or $"+apiKeyEnv)
		key = k.plain
	case k.stdin:
		if isTerminal(c.stdin) {
			fmt.Fprint(c.stderr, "TUNE API key (visible as you type; pipe it in to avoid that): ")
			key, err = bufio.NewReader(c.stdin).ReadString('\n')
			if err == io.EOF {
				err = nil
			}
		} else {
			var b []byte
			b, err = io.ReadAll(io.LimitReader(c.stdin, 64<<10))
			key = string(b)
		}
		if err != nil {
			return "", false, fmt.Errorf("read the API key from standard input: %w", err)
		}
	case k.file != "":
		b, err := os.ReadFile(k.file)
		if err != nil {
			return "", false, usagef("--api-key-file: %v", err)
		}
		key = string(b)
	case k.fromEnv || envByDefault:
		key = c.getenv(apiKeyEnv)
		if key == "" && !k.fromEnv {
			return "", false, nil
		}
	default:
		return "", false, nil
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return "", false, usagef("the TUNE API key is empty")
	}
	return key, true, nil
}

func (c *cli) integrationsAdd() *cobra.Command {
	var key apiKeyFlags
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Connect an account to a TUNE network (create_integration)",
		Long: `Connect an account to a TUNE network (AdminFunction create_integration).

The TUNE API key is stored as a secret and never printed. Pass it without leaving it in
your shell history: pipe it to --api-key-stdin, point --api-key-file at a file, or set
$` + apiKeyEnv + `.`,
		Example: `  pass show tune/acme | trackly integrations add --account acme --name "Acme network" \
      --network-id acme --key-kind affiliate --api-key-stdin --auto-sync --sync-frequency hourly
  trackly integrations add --account acme --name Acme --network-id acme --key-kind network \
      --affiliate-id 12 --api-key-file ~/.tune-key --id in_acme`,
		Args: cobra.NoArgs,
	}
	var s adminapi.IntegrationSettings
	p := newPayload(cmd, &s)
	p.optStr(&s.IntegrationID, "id", "choose the integration id (default: generated)")
	p.optStr(&s.AccountID, "account", "account id (Trackly's account)")
	settingsFlags(p, &s)
	key.register(cmd, false)
	markRequired(cmd, "account", "name", "key-kind")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		k, ok, err := c.readAPIKey(&key, true)
		if err != nil {
			return err
		}
		if !ok {
			return usagef("the TUNE API key is required: pipe it to --api-key-stdin, or use --api-key-file PATH or $%s", apiKeyEnv)
		}
		s.APIKey = &k
		return send(cmd.Context(), c, adminapi.CreateIntegration, p, func(w io.Writer, v adminapi.Integration) {
			printIntegration(w, v)
			printf(w, "\nNext: trackly integrations test %s, then trackly integrations postback-url %s\n", v.IntegrationID, v.IntegrationID)
		})
	}
	return cmd
}

func (c *cli) integrationsList() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List integrations, of one account or all (list_integrations)",
		Example: "  trackly integrations list --account demo\n  trackly integrations list -o json | jq -r '.integrations[].integration_id'",
		Args:    cobra.NoArgs,
	}
	var q adminapi.IntegrationsQuery
	p := newPayload(cmd, &q)
	p.str(&q.AccountID, "account", "only this account's integrations")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return send(cmd.Context(), c, adminapi.ListIntegrations, p, func(w io.Writer, v adminapi.IntegrationList) {
			if len(v.Integrations) == 0 {
				fmt.Fprintln(w, "No integrations.")
				return
			}
			row(w, "ID", "ACCOUNT", "NAME", "NETWORK", "KEY", "AUTO-SYNC", "LAST SYNC")
			for _, in := range v.Integrations {
				row(w, in.IntegrationID, in.AccountID, in.Name, dash(in.NetworkID),
					dash(in.KeyKind)+yesNo(in.APIKeySet, "", " (missing)"), autoSync(in), when(in.LastSyncAt))
			}
		})
	}
	return cmd
}

func (c *cli) integrationsShow() *cobra.Command {
	return sendToIntegration(c, &cobra.Command{
		Use:     "show [INTEGRATION]",
		Short:   "Show an integration's settings (get_integration)",
		Example: "  trackly integrations show in_demo\n  trackly integrations show --integration in_demo -o json",
	}, adminapi.GetIntegration, printIntegration)
}

func (c *cli) integrationsUpdate() *cobra.Command {
	var key apiKeyFlags
	cmd := &cobra.Command{
		Use:   "update [INTEGRATION]",
		Short: "Change an integration's settings; unset flags keep their value (update_integration)",
		Long: `Change an integration's settings (AdminFunction update_integration). Only the flags you
pass change; the others keep their value. To replace the TUNE API key, pipe it to
--api-key-stdin, or use --api-key-file PATH or --api-key-env ($` + apiKeyEnv + `).`,
		Example: `  trackly integrations update in_demo --rate-limit 20 --attribution-window 7
  pass show tune/acme | trackly integrations update in_acme --api-key-stdin`,
	}
	var u adminapi.IntegrationUpdate
	p := newPayload(cmd, &u)
	settingsFlags(p, &u.Settings)
	key.register(cmd, true)
	return c.onIntegration(cmd, func(ctx context.Context, id string) error {
		u.IntegrationID = id
		k, ok, err := c.readAPIKey(&key, false)
		if err != nil {
			return err
		}
		if ok {
			u.APIKey = &k
		}
		if u.Settings == (adminapi.IntegrationSettings{}) {
			return usagef("nothing to update: pass the settings to change, e.g. --rate-limit 20")
		}
		return send(ctx, c, adminapi.UpdateIntegration, p, printIntegration)
	})
}

func (c *cli) integrationsPostbackURL() *cobra.Command {
	return sendToIntegration(c, &cobra.Command{
		Use:   "postback-url [INTEGRATION]",
		Short: "Print the global postback URL to paste into TUNE (postback_url)",
		Example: `  trackly integrations postback-url in_demo
  trackly integrations postback-url in_demo -o json | jq -r .postback_url`,
	}, adminapi.PostbackURL, printPostbackURL)
}

func (c *cli) integrationsRotateToken() *cobra.Command {
	return sendToIntegration(c, &cobra.Command{
		Use:   "rotate-token [INTEGRATION]",
		Short: "Replace the postback token; the old postback URL stops working at once (rotate_postback_token)",
		Example: `  trackly integrations rotate-token in_demo
  # then paste the new URL into TUNE`,
	}, adminapi.RotatePostbackToken, func(w io.Writer, v adminapi.GlobalPostbackURL) {
		fmt.Fprintln(w, "The postback token is replaced: the previous URL is refused from now on.")
		printPostbackURL(w, v)
	})
}

func (c *cli) integrationsAutoSync() *cobra.Command {
	var frequency string
	cmd := &cobra.Command{
		Use:     "auto-sync on|off [INTEGRATION]",
		Short:   "Turn the scheduled offer sync on or off, and set how often it runs (update_integration)",
		Example: "  trackly integrations auto-sync on in_demo --frequency 6h\n  trackly integrations auto-sync off --integration in_demo",
	}
	ref := c.integrationArg(cmd)
	cmd.Args = func(_ *cobra.Command, args []string) error {
		if len(args) == 0 || len(args) > 2 || (args[0] != "on" && args[0] != "off") {
			return usagef("say on or off, then the integration, e.g. trackly integrations auto-sync on in_demo")
		}
		return nil
	}
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return []string{"on", "off"}, cobra.ShellCompDirectiveNoFileComp
		case 1:
			return c.completeIntegrations(cmd, args, toComplete)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cmd.Flags().StringVar(&frequency, "frequency", "", "how often: 15m, hourly, 6h, daily or N minutes (sync_frequency)")
	_ = cmd.RegisterFlagCompletionFunc("frequency", fixedCompletion("15m", "hourly", "6h", "daily"))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := ref.id(args[1:])
		if err != nil {
			return err
		}
		on := args[0] == "on"
		u := adminapi.IntegrationUpdate{IntegrationID: id, Settings: adminapi.IntegrationSettings{AutoSync: &on}}
		if frequency != "" {
			u.SyncFrequency = &frequency
		}
		return send(cmd.Context(), c, adminapi.UpdateIntegration, u, func(w io.Writer, v adminapi.Integration) {
			row(w, "Integration", v.IntegrationID)
			row(w, "Auto-sync", autoSync(v))
			row(w, "Next sync", yesNo(v.AutoSync, when(v.NextSyncAt), "-"))
		})
	}
	return cmd
}
