// Command reports is ReportsFunction's Lambda bootstrap: it loads the AWS
// configuration, wires the function from its environment and starts it.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/trackly/tune-integration/internal/app"
)

func main() {
	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		slog.Error("load AWS configuration", "error", err)
		os.Exit(1)
	}
	handler, err := app.ReportsFunction(ctx, awsCfg, os.Getenv)
	if err != nil {
		slog.Error("start ReportsFunction", "error", err)
		os.Exit(1)
	}
	lambda.Start(handler)
}
