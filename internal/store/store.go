// Package store is the only package that builds DynamoDB requests. It maps the
// product's types (package trackly) to rows of the tables declared in
// template.yaml, keys and expiry times included, and offers the reads and
// writes the other packages need, each shaped for one access pattern.
package store

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Tables holds the physical table names, as the template passes them to the functions.
type Tables struct {
	Integrations string
	Offers       string
	Links        string
	Clicks       string
	Conversions  string
	Reports      string
	SyncRuns     string
	PostbackLog  string
	// ReconcileRuns records the reconciliations with TUNE's conversions report.
	ReconcileRuns string
	// CountedChanges marks the changes to clicks and conversions whose report
	// increments are applied.
	CountedChanges string
}

// TablesFromEnv reads the table names from the environment variables that template.yaml sets.
func TablesFromEnv(getenv func(string) string) Tables {
	return Tables{
		Integrations:   getenv("INTEGRATIONS_TABLE"),
		Offers:         getenv("OFFERS_TABLE"),
		Links:          getenv("LINKS_TABLE"),
		Clicks:         getenv("CLICKS_TABLE"),
		Conversions:    getenv("CONVERSIONS_TABLE"),
		Reports:        getenv("REPORTS_TABLE"),
		SyncRuns:       getenv("SYNC_RUNS_TABLE"),
		PostbackLog:    getenv("POSTBACK_LOG_TABLE"),
		ReconcileRuns:  getenv("RECONCILE_RUNS_TABLE"),
		CountedChanges: getenv("COUNTED_CHANGES_TABLE"),
	}
}

// Store reads and writes the product's records in DynamoDB.
type Store struct {
	db     *dynamodb.Client
	tables Tables
}

// New returns a Store that uses db and the given tables.
func New(db *dynamodb.Client, tables Tables) *Store {
	return &Store{db: db, tables: tables}
}
