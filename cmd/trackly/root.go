package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1 // an action failed: function error, TUNE error, unreachable target
	exitUsage       = 2 // a bad flag or argument, no target
	exitInterrupted = 130
)

// cli is one run of trackly: its streams, environment and target.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	output string
	target targetFlags
	inv    *invoker // built on first use

	// started is set once flags and arguments are valid: an error before it is a usage error.
	started bool
}

func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	root := c.rootCommand()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	msg, code := c.describe(cmd, err)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		msg, code = "interrupted", exitInterrupted
	}
	fmt.Fprintln(stderr, "trackly: "+printable(msg))
	return code
}

// describe turns an error into one line and an exit code.
func (c *cli) describe(cmd *cobra.Command, err error) (string, int) {
	var ue *usageError
	if !c.started || errors.As(err, &ue) {
		msg := firstLine(err.Error())
		if ue != nil {
			msg = ue.msg
		}
		if s := suggestion(err.Error()); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		if cmd != nil {
			msg += fmt.Sprintf(" (see '%s --help')", cmd.CommandPath())
		}
		return msg, exitUsage
	}
	var fe *functionError
	if errors.As(err, &fe) {
		return fe.line(), exitFailed
	}
	return firstLine(err.Error()), exitFailed
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}

// suggestion picks cobra's first "Did you mean this?" suggestion.
func suggestion(s string) string {
	_, after, ok := strings.Cut(s, "Did you mean this?\n")
	if !ok {
		return ""
	}
	return firstLine(after)
}

const rootLong = `trackly administers Trackly's TUNE (HasOffers) integration: integrations, offers,
offer syncs, tracked SMS links, reports, conversions, their reconciliation with TUNE and
received postbacks.

Every command invokes AdminFunction, OfferSyncFunction or ReconciliationFunction through
the Lambda Invoke API with the same JSON payload as 'aws lambda invoke' (see the README
and events/). Choose where they run:
  --local                the local cloud of 'trackly local' / 'make run' (http://127.0.0.1:3001)
  --stack NAME           a deployed stack: function names from its outputs
  --admin-function NAME, --offersync-function NAME, --reconciliation-function NAME
                         explicit function names (with --endpoint-url for any other endpoint)
TRACKLY_LOCAL=1 or TRACKLY_STACK=NAME set a default. AWS credentials, region and profile
come from the standard AWS configuration chain (or --region, --profile).

Output is a table; --output json prints the function's answer as is, for scripts.
Exit codes: 0 success, 1 the action failed (function or TUNE error), 2 bad usage.
Shell completion: trackly completion bash|zsh|fish|powershell --help.`

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "trackly",
		Short: "Administer Trackly's TUNE integration",
		Long:  rootLong,
		Example: `  trackly local                                   # start the local cloud (make run)
  trackly --local integrations list
  TRACKLY_STACK=trackly-tune-prod trackly report --account acme
  trackly --stack trackly-tune-prod offers sync --integration in_acme
  source <(trackly completion bash)`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return err
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				return err
			}
			switch c.output {
			case "table", "json":
			default:
				return usagef("--output must be table or json, not %q", c.output)
			}
			c.started = true
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	pf := root.PersistentFlags()
	pf.StringVarP(&c.output, "output", "o", "table", "output format: table or json")
	c.target.register(pf)
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion("table", "json"))

	root.AddGroup(&cobra.Group{ID: "admin", Title: "Administration:"}, &cobra.Group{ID: "run", Title: "Local system:"})
	for _, cmd := range []*cobra.Command{
		c.integrationsCommand(), c.offersCommand(), c.syncRunsCommand(), c.syncCommand(),
		c.linksCommand(), c.reportCommand(), c.conversionsCommand(), c.postbacksCommand(),
	} {
		cmd.GroupID = "admin"
		root.AddCommand(cmd)
	}
	local := newLocalCommand()
	local.GroupID = "run"
	root.AddCommand(local)

	if c.stdout != nil {
		root.SetIn(c.stdin)
		root.SetOut(c.stdout)
		root.SetErr(c.stderr)
	}
	// cobra's own commands, created now (after SetOut: they keep the writer) so that they too show an example.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, cmd := range root.Commands() {
		switch cmd.Name() {
		case "help":
			cmd.Example = "  trackly help offers import"
		case "completion":
			cmd.Example = `  source <(trackly completion bash)                       # this shell
  trackly completion zsh > "${fpath[1]}/_trackly"         # every new zsh`
			for _, sub := range cmd.Commands() {
				sub.Example = fmt.Sprintf("  trackly completion %s --help   # where to install it", sub.Name())
			}
		}
	}
	return root
}

// group is a command that only holds subcommands; an unknown subcommand is a usage error.
func group(use, short, example string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.ArbitraryArgs,

		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %q?)", s[0])
			}
			return usagef("%s", msg)
		},
	}
	cmd.AddCommand(subs...)
	return cmd
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// markRequired marks flags required (cobra checks them before the command runs).
func markRequired(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		if err := cmd.MarkFlagRequired(n); err != nil {
			panic(err)
		}
	}
}
