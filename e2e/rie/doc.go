// Package rie runs every function's real Lambda bootstrap, built by the Makefile target `sam build`
// runs, under AWS's Runtime Interface Emulator (github.com/aws/aws-lambda-runtime-interface-emulator,
// the emulator inside SAM's and Lambda's container images, pinned as a tool in go.mod and run with
// `go tool`), with the template's environment pointed at the local cloud's DynamoDB and SQS and at a
// Parameter Store emulator. It invokes each function with the samples under events/, checks the
// answers, checks that ClickFunction's init does not wait for Parameter Store, and audits every AWS
// call each bootstrap made against its policies in template.yaml. Package dev/bench measures the
// bootstraps' cold starts.
//
// Its tests need Linux (the bootstraps are linux binaries) and skip under -short.
package rie
