package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/validate"
)

// DefaultPageSize is the page size of list reads that do not set one.
const DefaultPageSize = 50

// MaxPageSize is the largest page a list read returns.
const MaxPageSize = 1000

// listQuery describes one page of a list read.
type listQuery struct {
	table       string
	index       string // "" for the table itself
	key         expression.KeyConditionBuilder
	filter      *expression.ConditionBuilder
	newestFirst bool
	cursor      string
	limit       int
}

// queryList reads one page of rows of type R and returns what they map to
// (never nil) with the cursor of what follows.
func queryList[R, T any](ctx context.Context, s *Store, q listQuery, toDomain func(R) T) ([]T, string, error) {
	b := expression.NewBuilder().WithKeyCondition(q.key)
	if q.filter != nil {
		b = b.WithFilter(*q.filter)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query of %s: %w", q.table, err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(q.table),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(!q.newestFirst),
	}
	if q.index != "" {
		in.IndexName = aws.String(q.index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	out := []T{}
	cursor, err := s.queryPages(ctx, in, q.cursor, q.limit, func(item map[string]types.AttributeValue) error {
		var r R
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return err
		}
		out = append(out, toDomain(r))
		return nil
	})
	return out, cursor, err
}

// queryPages runs in from the position cursor names, passing items to each
// until limit items were seen, and returns the cursor of what follows ("" at the end).
func (s *Store) queryPages(ctx context.Context, in *dynamodb.QueryInput, cursor string, limit int, each func(map[string]types.AttributeValue) error) (string, error) {
	if limit < 0 || limit > MaxPageSize {
		return "", validate.Field("limit", "must be between 1 and %d, not %d", MaxPageSize, limit)
	}
	if limit == 0 {
		limit = DefaultPageSize
	}
	start, err := decodeCursor(cursor)
	if err != nil {
		return "", err
	}
	in.ExclusiveStartKey = start
	seen := 0
	for {
		in.Limit = aws.Int32(int32(limit - seen))
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return "", fmt.Errorf("query %s: %w", aws.ToString(in.TableName), err)
		}
		for _, item := range page.Items {
			if err := each(item); err != nil {
				return "", fmt.Errorf("decode item of %s: %w", aws.ToString(in.TableName), err)
			}
		}
		seen += len(page.Items)
		if len(page.LastEvaluatedKey) == 0 {
			return "", nil
		}
		if seen >= limit {
			return encodeCursor(page.LastEvaluatedKey)
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// A cursor is the base64url JSON of a LastEvaluatedKey whose attributes are all strings.
func encodeCursor(k map[string]types.AttributeValue) (string, error) {
	plain := map[string]string{}
	for name, av := range k {
		s, ok := av.(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("cursor: key attribute %s is not a string", name)
		}
		plain[name] = s.Value
	}
	b, err := json.Marshal(plain)
	if err != nil {
		return "", fmt.Errorf("cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func decodeCursor(c string) (map[string]types.AttributeValue, error) {
	if c == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, validate.Field("cursor", "%q is not a cursor this action returned", c)
	}
	var plain map[string]string
	if err := json.Unmarshal(b, &plain); err != nil || len(plain) == 0 {
		return nil, validate.Field("cursor", "%q is not a cursor this action returned", c)
	}
	k := map[string]types.AttributeValue{}
	for name, v := range plain {
		k[name] = &types.AttributeValueMemberS{Value: v}
	}
	return k, nil
}
