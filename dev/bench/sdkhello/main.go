// Command sdkhello is a hello-world Lambda bootstrap that first does what every function's init
// does with the AWS SDK and nothing else: it loads the AWS configuration and makes DynamoDB, SQS and
// SSM clients. Package bench measures it beside the plain hello world, so that a function's cold
// start can be told apart into what the SDK costs and what the function's own code costs.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("load AWS configuration", "error", err)
		os.Exit(1)
	}
	dynamodb.NewFromConfig(cfg)
	sqs.NewFromConfig(cfg)
	ssm.NewFromConfig(cfg)
	lambda.Start(func() (string, error) { return "Hello, world!", nil })
}
