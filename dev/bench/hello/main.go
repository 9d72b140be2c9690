// Command hello is a hello-world Lambda bootstrap: the yardstick that package bench measures each
// function's cold start against. It is built as the functions are (the Makefile's flags,
// lambda.norpc) and answers every invocation with a greeting.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (string, error) { return "Hello, world!", nil })
}
