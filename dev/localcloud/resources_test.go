package localcloud

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trackly/tune-integration/dev/dynamodblocal"
	"github.com/trackly/tune-integration/dev/samtemplate"
)

// localDynamoDB returns a client of the shared DynamoDB Local.
func localDynamoDB(t *testing.T) *dynamodb.Client {
	t.Helper()
	ctx := context.Background()
	server, err := dynamodblocal.Shared(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_REGION", "us-east-1")
	cfg, err := loadAWSConfig(ctx, "us-east-1", server.URL())
	if err != nil {
		t.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg)
}

// A table kept from an earlier run gets the indexes its template declares since, as CloudFormation
// would add them.
func TestTableIndexesAddsTheIndexesAKeptTableLacks(t *testing.T) {
	ctx := context.Background()
	client := localDynamoDB(t)
	table := &samtemplate.Table{
		Name:                 "IndexLater-" + randomHex(4),
		AttributeDefinitions: []samtemplate.AttributeDefinition{{AttributeName: "pk", AttributeType: "S"}},
		KeySchema:            []samtemplate.KeySchemaElement{{AttributeName: "pk", KeyType: "HASH"}},
	}
	if _, err := createTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table.Name)}) })
	indexes := func() []string {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table.Name)})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ix := range out.Table.GlobalSecondaryIndexes {
			names = append(names, aws.ToString(ix.IndexName))
		}
		slices.Sort(names)
		return names
	}

	table.AttributeDefinitions = append(table.AttributeDefinitions, samtemplate.AttributeDefinition{AttributeName: "owner", AttributeType: "S"})
	table.GlobalSecondaryIndexes = []samtemplate.SecondaryIndex{{
		IndexName: "by_owner", KeySchema: []samtemplate.KeySchemaElement{{AttributeName: "owner", KeyType: "HASH"}},
		Projection: samtemplate.Projection{ProjectionType: "ALL"},
	}}
	for range 2 { // the second time finds the index there
		if err := tableIndexes(ctx, client, table); err != nil {
			t.Fatal(err)
		}
		if got := indexes(); !slices.Equal(got, []string{"by_owner"}) {
			t.Fatalf("indexes %v, want [by_owner]", got)
		}
	}
}
