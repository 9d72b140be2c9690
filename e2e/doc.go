// Package e2e tests the whole system over HTTP, as TUNE, a phone and an admin
// reach it: the local cloud runs every function of template.yaml on DynamoDB
// Local and an embedded SQS, with a TUNE simulator behind the offers.
package e2e
