package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/backoff"
	"github.com/trackly/tune-integration/internal/trackly"
)

// key is a DynamoDB primary key.
type key map[string]types.AttributeValue

// maxUnprocessedRetries bounds the retries of items a batch call left unprocessed.
const maxUnprocessedRetries = 8

func stringKey(pairs ...string) key {
	k := key{}
	for i := 0; i+1 < len(pairs); i += 2 {
		k[pairs[i]] = &types.AttributeValueMemberS{Value: pairs[i+1]}
	}
	return k
}

// get reads the record with key k from table strongly consistently, through
// the layout rowOf binds, or returns trackly.ErrNotFound.
func get[T any](ctx context.Context, s *Store, table string, k key, rowOf func(*T) row) (T, error) {
	var v T
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return v, fmt.Errorf("get from %s: %w", table, err)
	}
	if res.Item == nil {
		return v, trackly.ErrNotFound
	}
	if err := rowOf(&v).read(res.Item); err != nil {
		return v, fmt.Errorf("decode item of %s: %w", table, err)
	}
	return v, nil
}

// putNew writes r's record only if no item with the same key attribute exists;
// trackly.ErrConflict means one does.
func (s *Store) putNew(ctx context.Context, table, keyAttr string, r row) error {
	p, err := newItemPut(table, keyAttr, r)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                p.TableName,
		Item:                     p.Item,
		ConditionExpression:      p.ConditionExpression,
		ExpressionAttributeNames: p.ExpressionAttributeNames,
	})
	if conditionFailed(err) {
		return trackly.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("put into %s: %w", table, err)
	}
	return nil
}

// newItemPut is the put of r's record into table on the condition that no
// item with the same key attribute exists.
func newItemPut(table, keyAttr string, r row) (*types.Put, error) {
	item, err := r.item()
	if err != nil {
		return nil, fmt.Errorf("encode item for %s: %w", table, err)
	}
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(keyAttr))).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	return &types.Put{
		TableName:                aws.String(table),
		Item:                     item,
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	}, nil
}

// put writes r's record, replacing any item with the same key.
func (s *Store) put(ctx context.Context, table string, r row) error {
	item, err := r.item()
	if err != nil {
		return fmt.Errorf("encode item for %s: %w", table, err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		return fmt.Errorf("put into %s: %w", table, err)
	}
	return nil
}

// update applies u to the item with key k of table and returns the item as
// updated. A non-nil cond makes the update conditional: when cond does not
// hold, nothing changes and update returns ifNot.
func (s *Store) update(ctx context.Context, table string, k key, u expression.UpdateBuilder, cond *expression.ConditionBuilder, ifNot error) (map[string]types.AttributeValue, error) {
	b := expression.NewBuilder().WithUpdate(u)
	if cond != nil {
		b = b.WithCondition(*cond)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build update of %s: %w", table, err)
	}
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       k,
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return nil, ifNot
	}
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", table, err)
	}
	return res.Attributes, nil
}

// updateItem is the transaction item that applies u to the item with key k of table.
func updateItem(table string, k key, u expression.UpdateBuilder) (types.TransactWriteItem, error) {
	expr, err := expression.NewBuilder().WithUpdate(u).Build()
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("build update of %s: %w", table, err)
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(table),
		Key:                       k,
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}, nil
}

// conditionFailed reports whether err is a write refused because its condition failed.
func conditionFailed(err error) bool {
	var failed *types.ConditionalCheckFailedException
	return errors.As(err, &failed)
}

// batchGet reads the records with the given keys from one table, 100 keys
// per call, retrying unprocessed keys, through the layout rowOf binds, and
// returns them by keyOf.
func batchGet[K comparable, T any](ctx context.Context, s *Store, table string, keys []key, rowOf func(*T) row, keyOf func(T) K) (map[K]T, error) {
	out := make(map[K]T, len(keys))
	for start := 0; start < len(keys); start += 100 {
		chunk := keys[start:min(start+100, len(keys))]
		req := map[string]types.KeysAndAttributes{table: {Keys: toKeys(chunk), ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff.Wait(ctx, attempt); err != nil {
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
				v, err := decode(item, rowOf)
				if err != nil {
					return nil, fmt.Errorf("decode item of %s: %w", table, err)
				}
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

func unique(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func toKeys(ks []key) []map[string]types.AttributeValue {
	out := make([]map[string]types.AttributeValue, len(ks))
	for i, k := range ks {
		out[i] = k
	}
	return out
}
