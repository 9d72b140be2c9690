package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/internal/localrun"
)

func newLocalCommand() *cobra.Command {
	var opts localrun.Options
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run the whole system on this machine (embedded DynamoDB and SQS, no AWS, no Docker)",
		Example: `  trackly local
  AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 trackly local   # use DynamoDB Local instead`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			sys, err := localrun.Start(ctx, opts)
			if err != nil {
				return err
			}
			sys.PrintWelcome(cmd.OutOrStdout())
			<-ctx.Done()
			fmt.Fprintln(cmd.ErrOrStderr(), "\nstopping...")
			return sys.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.TemplatePath, "template", "template.yaml", "SAM template to run")
	f.StringVar(&opts.HTTPAddr, "http", "127.0.0.1:3000", "address of the HTTP API")
	f.StringVar(&opts.InvokeAddr, "invoke", "127.0.0.1:3001", "address of the Lambda Invoke API")
	f.StringVar(&opts.TUNEAddr, "tune", "127.0.0.1:3002", "address of the TUNE simulator")
	f.StringVar(&opts.DataDir, "data", ".local", "data directory (secrets)")
	f.IntVar(&opts.TUNEOffers, "tune-offers", 200, "offers in the simulated TUNE network")
	return cmd
}
