package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
)

// key is a DynamoDB primary key.
type key map[string]types.AttributeValue

func stringKey(pairs ...string) key {
	k := key{}
	for i := 0; i+1 < len(pairs); i += 2 {
		k[pairs[i]] = &types.AttributeValueMemberS{Value: pairs[i+1]}
	}
	return k
}

// get reads one item strongly consistently into out, or returns trackly.ErrNotFound.
func (s *Store) get(ctx context.Context, table string, k key, out any) error {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("get from %s: %w", table, err)
	}
	if res.Item == nil {
		return trackly.ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("decode item of %s: %w", table, err)
	}
	return nil
}

// putNew writes item only if no item with the same key attribute exists.
func (s *Store) putNew(ctx context.Context, table, keyAttr string, item any) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return fmt.Errorf("encode item for %s: %w", table, err)
	}
	cond, err := notExists(keyAttr)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(table),
		Item:                     av,
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return trackly.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("put into %s: %w", table, err)
	}
	return nil
}

// put writes item, replacing any item with the same key.
func (s *Store) put(ctx context.Context, table string, item any) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return fmt.Errorf("encode item for %s: %w", table, err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
		return fmt.Errorf("put into %s: %w", table, err)
	}
	return nil
}

// batchGet reads the rows with the given keys from one table, 100 keys per
// call, retrying unprocessed keys, and returns what each maps to, by keyOf.
func batchGet[K comparable, R, T any](ctx context.Context, s *Store, table string, keys []key, toDomain func(R) T, keyOf func(T) K) (map[K]T, error) {
	out := make(map[K]T, len(keys))
	for start := 0; start < len(keys); start += 100 {
		chunk := keys[start:min(start+100, len(keys))]
		req := map[string]types.KeysAndAttributes{table: {Keys: toKeys(chunk), ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return nil, fmt.Errorf("batch get from %s: %w", table, err)
				}
			}
			if attempt > maxUnprocessedRetries {
				return nil, fmt.Errorf("batch get from %s: keys still unprocessed after %d attempts", table, attempt)
			}
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("batch get from %s: %w", table, err)
			}
			for _, item := range res.Responses[table] {
				var r R
				if err := attributevalue.UnmarshalMap(item, &r); err != nil {
					return nil, fmt.Errorf("decode item of %s: %w", table, err)
				}
				v := toDomain(r)
				out[keyOf(v)] = v
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// stringKeys builds the keys of distinct non-empty ids.
func stringKeys(keyAttr string, ids []string) []key {
	keys := make([]key, 0, len(ids))
	for _, id := range unique(ids) {
		keys = append(keys, stringKey(keyAttr, id))
	}
	return keys
}

func toKeys(ks []key) []map[string]types.AttributeValue {
	out := make([]map[string]types.AttributeValue, len(ks))
	for i, k := range ks {
		out[i] = k
	}
	return out
}

// notExists builds the condition that no item with the key attribute exists.
func notExists(keyAttr string) (expression.Expression, error) {
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(keyAttr))).Build()
	if err != nil {
		return cond, fmt.Errorf("build condition: %w", err)
	}
	return cond, nil
}
