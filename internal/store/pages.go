package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/validate"
)

// DefaultPageSize is the page size of list reads that do not set one.
const DefaultPageSize = 50

// MaxPageSize is the largest page a list read returns.
const MaxPageSize = validate.MaxPageSize

// listQuery describes a Query: the items under one partition key, filtered,
// from a cursor on, at most limit of them.
type listQuery struct {
	table       string
	index       string // "" for the table itself
	key         expression.KeyConditionBuilder
	filter      *expression.ConditionBuilder
	newestFirst bool
	cursor      string
	limit       int
}

// queryList reads one page of records through the layout rowOf binds and
// returns them (never nil) with the cursor of what follows. q.limit is the
// page size the caller asked for: 0 takes DefaultPageSize.
func queryList[T any](ctx context.Context, s *Store, q listQuery, rowOf func(*T) row) ([]T, string, error) {
	if err := validate.PageSize(q.limit, MaxPageSize); err != nil {
		return nil, "", err
	}
	if q.limit == 0 {
		q.limit = DefaultPageSize
	}
	return query(ctx, s, q, decoder(rowOf))
}

// query reads what q selects, at most q.limit records (0: all), decoding
// each item, and returns the records (never nil) with the cursor of what follows.
func query[T any](ctx context.Context, s *Store, q listQuery, decodeItem func(map[string]types.AttributeValue) (T, error)) ([]T, string, error) {
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
	start, err := decodeCursor(q.cursor)
	if err != nil {
		return nil, "", err
	}
	in.ExclusiveStartKey = start
	out := []T{}
	for {
		if q.limit > 0 {
			in.Limit = aws.Int32(int32(q.limit - len(out)))
		}
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("query %s: %w", q.table, err)
		}
		for _, item := range page.Items {
			v, err := decodeItem(item)
			if err != nil {
				return nil, "", fmt.Errorf("decode item of %s: %w", q.table, err)
			}
			out = append(out, v)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, "", nil
		}
		if q.limit > 0 && len(out) >= q.limit {
			cursor, err := encodeCursor(page.LastEvaluatedKey)
			return out, cursor, err
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
