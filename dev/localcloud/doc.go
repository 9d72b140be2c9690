// Package localcloud runs a SAM application in one process, without Docker: it reads template.yaml,
// serves DynamoDB (AWS's DynamoDB Local, a child process) and SQS (the embedded goaws) on one
// endpoint, creates the template's tables and queues there, and delivers the template's events to
// the functions as Lambda does: API Gateway HTTP API requests, Lambda Invoke API calls, SQS batches
// and schedules.
//
// ParseTemplate (and Cloud.Template) also resolve any resource of the template and its Outputs
// (Template.Resource, Template.Outputs), for checks of a template beyond what runs locally.
//
// The package knows nothing of the application: each function is given as a Factory that builds its
// handler, as the function's main.go does in AWS.
package localcloud
