// Package localcloud runs a SAM application in one process, without Docker: it reads template.yaml
// (resolved by package samtemplate), serves DynamoDB (AWS's DynamoDB Local, a child process) and SQS
// (the embedded goaws) on one endpoint, creates the template's tables and queues there, and delivers
// the template's events to the functions as Lambda does: API Gateway HTTP API requests, Lambda
// Invoke API calls, SQS batches and schedules.
//
// Cloud.Template returns the template as the Cloud resolved it, with the identities of the tables
// and queues it created.
//
// The package knows nothing of the application: each function is given as a Factory that builds its
// handler, as the function's main.go does in AWS.
package localcloud
