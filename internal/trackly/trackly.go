// Package trackly holds the product's nouns: integrations, offers, links,
// clicks, conversions, logged postbacks, sync runs and report rows, with the
// typed constants that name their states. It knows nothing of storage: the
// store package maps these types to DynamoDB rows, and the JSON tags here are
// those of the admin answers.
package trackly
