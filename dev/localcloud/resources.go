package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trackly/tune-integration/dev/samtemplate"
)

// tableActiveTimeout bounds the wait for a table created on an external endpoint to become active.
const tableActiveTimeout = 2 * time.Minute

// createTable creates a table unless it exists, and tells whether it did. Tables are created on demand
// whatever their billing mode, which does not matter locally.
func createTable(ctx context.Context, client *dynamodb.Client, t *samtemplate.Table) (bool, error) {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(t.Name),
		BillingMode: dynamodbtypes.BillingModePayPerRequest,
		KeySchema:   keySchema(t.KeySchema),
	}
	for _, a := range t.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, dynamodbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: dynamodbtypes.ScalarAttributeType(a.AttributeType),
		})
	}
	for _, ix := range t.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, dynamodbtypes.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  keySchema(ix.KeySchema),
			Projection: projection(ix.Projection),
		})
	}
	if t.StreamViewType != "" {
		in.StreamSpecification = streamSpecification(t.StreamViewType)
	}
	for _, ix := range t.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, dynamodbtypes.LocalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  keySchema(ix.KeySchema),
			Projection: projection(ix.Projection),
		})
	}
	_, err := client.CreateTable(ctx, in)
	if _, exists := errors.AsType[*dynamodbtypes.ResourceInUseException](err); exists {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create table %s: %w", t.Name, err)
	}
	return true, nil
}

// activateTable waits for a table created on an external endpoint to be active and enables its TTL.
func activateTable(ctx context.Context, client *dynamodb.Client, t *samtemplate.Table) error {
	waiter := dynamodb.NewTableExistsWaiter(client)
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.Name)}, tableActiveTimeout); err != nil {
		return fmt.Errorf("wait for table %s: %w", t.Name, err)
	}
	if t.TTLAttribute == "" {
		return nil
	}
	_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(t.Name),
		TimeToLiveSpecification: &dynamodbtypes.TimeToLiveSpecification{
			AttributeName: aws.String(t.TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enable TTL of table %s: %w", t.Name, err)
	}
	return nil
}

// tableIndexes adds to an existing table (one kept from an earlier run) the global secondary indexes
// the template declares and the table lacks, one at a time as DynamoDB requires, as CloudFormation
// would update the table. An index the template no longer declares is left alone.
func tableIndexes(ctx context.Context, client *dynamodb.Client, t *samtemplate.Table) error {
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.Name)})
	if err != nil {
		return fmt.Errorf("describe table %s: %w", t.Name, err)
	}
	has := map[string]bool{}
	for _, ix := range out.Table.GlobalSecondaryIndexes {
		has[aws.ToString(ix.IndexName)] = true
	}
	for _, ix := range t.GlobalSecondaryIndexes {
		if has[ix.IndexName] {
			continue
		}
		var attrs []dynamodbtypes.AttributeDefinition
		for _, a := range t.AttributeDefinitions {
			attrs = append(attrs, dynamodbtypes.AttributeDefinition{AttributeName: aws.String(a.AttributeName), AttributeType: dynamodbtypes.ScalarAttributeType(a.AttributeType)})
		}
		_, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName:            aws.String(t.Name),
			AttributeDefinitions: attrs,
			GlobalSecondaryIndexUpdates: []dynamodbtypes.GlobalSecondaryIndexUpdate{{Create: &dynamodbtypes.CreateGlobalSecondaryIndexAction{
				IndexName: aws.String(ix.IndexName), KeySchema: keySchema(ix.KeySchema), Projection: projection(ix.Projection),
			}}},
		})
		if err != nil {
			return fmt.Errorf("add index %s to table %s: %w", ix.IndexName, t.Name, err)
		}
		if err := dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.Name)}, tableActiveTimeout); err != nil {
			return fmt.Errorf("wait for table %s: %w", t.Name, err)
		}
	}
	return nil
}

// tableStream gives an existing table the stream the template declares, as CloudFormation would
// update the table, and returns the ARN of its latest stream. DynamoDB changes the view type of a
// stream by disabling it and enabling a new one. A stream the template does not declare is left alone.
func tableStream(ctx context.Context, client *dynamodb.Client, t *samtemplate.Table) (string, error) {
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.Name)})
	if err != nil {
		return "", fmt.Errorf("describe table %s: %w", t.Name, err)
	}
	spec := out.Table.StreamSpecification
	enabled := spec != nil && aws.ToBool(spec.StreamEnabled)
	if enabled && string(spec.StreamViewType) == t.StreamViewType && out.Table.LatestStreamArn != nil {
		return aws.ToString(out.Table.LatestStreamArn), nil
	}
	if enabled {
		if err := updateStream(ctx, client, t.Name, &dynamodbtypes.StreamSpecification{StreamEnabled: aws.Bool(false)}); err != nil {
			return "", err
		}
	}
	if err := updateStream(ctx, client, t.Name, streamSpecification(t.StreamViewType)); err != nil {
		return "", err
	}
	if out, err = client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.Name)}); err != nil {
		return "", fmt.Errorf("describe table %s: %w", t.Name, err)
	}
	if out.Table.LatestStreamArn == nil {
		return "", fmt.Errorf("table %s has no stream after enabling one", t.Name)
	}
	return aws.ToString(out.Table.LatestStreamArn), nil
}

// updateStream changes the stream of a table and waits for the table to be active again.
func updateStream(ctx context.Context, client *dynamodb.Client, table string, spec *dynamodbtypes.StreamSpecification) error {
	_, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table), StreamSpecification: spec})
	if err != nil {
		return fmt.Errorf("update the stream of table %s: %w", table, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client)
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, tableActiveTimeout); err != nil {
		return fmt.Errorf("wait for table %s: %w", table, err)
	}
	return nil
}

func streamSpecification(viewType string) *dynamodbtypes.StreamSpecification {
	return &dynamodbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: dynamodbtypes.StreamViewType(viewType)}
}

func keySchema(elems []samtemplate.KeySchemaElement) []dynamodbtypes.KeySchemaElement {
	out := make([]dynamodbtypes.KeySchemaElement, 0, len(elems))
	for _, k := range elems {
		out = append(out, dynamodbtypes.KeySchemaElement{
			AttributeName: aws.String(k.AttributeName),
			KeyType:       dynamodbtypes.KeyType(k.KeyType),
		})
	}
	return out
}

func projection(p samtemplate.Projection) *dynamodbtypes.Projection {
	return &dynamodbtypes.Projection{
		ProjectionType:   dynamodbtypes.ProjectionType(p.ProjectionType),
		NonKeyAttributes: p.NonKeyAttributes,
	}
}

// queueCreator creates a template's queues, dead-letter queues first.
type queueCreator struct {
	client  *sqs.Client
	queues  map[string]*samtemplate.Queue
	suffix  string        // appended to queue names, to keep Clouds sharing goaws apart
	timeout time.Duration // overrides the queues' visibility timeout, if positive
	created map[string]samtemplate.QueueIdentity
	pending map[string]bool
}

// create creates a queue unless it exists, and returns its identity.
func (qc *queueCreator) create(ctx context.Context, q *samtemplate.Queue) (samtemplate.QueueIdentity, error) {
	if id, ok := qc.created[q.LogicalID]; ok {
		return id, nil
	}
	if qc.pending[q.LogicalID] {
		return samtemplate.QueueIdentity{}, fmt.Errorf("queue %s is its own dead-letter queue", q.LogicalID)
	}
	qc.pending[q.LogicalID] = true
	visibility := q.VisibilityTimeout
	if qc.timeout > 0 {
		visibility = qc.timeout
	}
	attrs := map[string]string{
		string(sqstypes.QueueAttributeNameVisibilityTimeout):      strconv.Itoa(ceilSeconds(visibility)),
		string(sqstypes.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(ceilSeconds(q.MessageRetentionPeriod)),
	}
	if rp := q.RedrivePolicy; rp != nil {
		target := rp.DeadLetterTargetARN
		if dlq, ok := qc.queues[rp.DeadLetterQueue]; ok {
			id, err := qc.create(ctx, dlq)
			if err != nil {
				return samtemplate.QueueIdentity{}, err
			}
			target = id.ARN
		}
		policy, err := json.Marshal(map[string]any{"deadLetterTargetArn": target, "maxReceiveCount": rp.MaxReceiveCount})
		if err != nil {
			return samtemplate.QueueIdentity{}, err
		}
		attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(policy)
	}
	id := samtemplate.QueueIdentity{Name: q.Name + qc.suffix}
	out, err := qc.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(id.Name), Attributes: attrs})
	if _, exists := errors.AsType[*sqstypes.QueueNameExists](err); exists {
		var got *sqs.GetQueueUrlOutput
		if got, err = qc.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(id.Name)}); err == nil {
			id.URL = aws.ToString(got.QueueUrl)
		}
	} else if err == nil {
		id.URL = aws.ToString(out.QueueUrl)
	}
	if err != nil {
		return samtemplate.QueueIdentity{}, fmt.Errorf("create queue %s: %w", id.Name, err)
	}
	attrOut, err := qc.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(id.URL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return samtemplate.QueueIdentity{}, fmt.Errorf("get ARN of queue %s: %w", id.Name, err)
	}
	id.ARN = attrOut.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	qc.created[q.LogicalID] = id
	return id, nil
}

// ceilSeconds returns d in whole seconds, rounded up.
func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
