package store

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// CreateIntegration stores a new integration; ErrConflict means its id is taken.
func (s *Store) CreateIntegration(ctx context.Context, in Integration) error {
	return s.putNew(ctx, s.tables.Integrations, "integration_id", in)
}

// GetIntegration reads an integration by id.
func (s *Store) GetIntegration(ctx context.Context, integrationID string) (Integration, error) {
	var in Integration
	err := s.get(ctx, s.tables.Integrations, stringKey("integration_id", integrationID), &in)
	return in, err
}

// GetIntegrations reads several integrations in batches; missing ids are absent from the result.
func (s *Store) GetIntegrations(ctx context.Context, integrationIDs []string) (map[string]Integration, error) {
	out := map[string]Integration{}
	keys := make([]key, 0, len(integrationIDs))
	for _, id := range unique(integrationIDs) {
		keys = append(keys, stringKey("integration_id", id))
	}
	err := s.batchGet(ctx, s.tables.Integrations, keys, func(item map[string]types.AttributeValue) error {
		var in Integration
		if err := attributevalue.UnmarshalMap(item, &in); err != nil {
			return fmt.Errorf("integration: %w", err)
		}
		out[in.IntegrationID] = in
		return nil
	})
	return out, err
}

// ListIntegrations lists integrations, of one account when accountID is set.
// Integrations are few, so this reads the whole table.
func (s *Store) ListIntegrations(ctx context.Context, accountID string) ([]Integration, error) {
	in := &dynamodb.ScanInput{TableName: aws.String(s.tables.Integrations), ConsistentRead: aws.Bool(true)}
	if accountID != "" {
		expr, err := expression.NewBuilder().WithFilter(expression.Name("account_id").Equal(expression.Value(accountID))).Build()
		if err != nil {
			return nil, fmt.Errorf("build integrations filter: %w", err)
		}
		in.FilterExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expr.Filter(), expr.Names(), expr.Values()
	}
	var out []Integration
	p := dynamodb.NewScanPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan integrations: %w", err)
		}
		var items []Integration
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("decode integrations: %w", err)
		}
		out = append(out, items...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// integrationSettings are the attributes an admin edits; sync bookkeeping is left alone.
var integrationSettings = []string{
	"name", "network_id", "api_domain", "api_base_url", "key_kind", "api_key_secret", "affiliate_id",
	"click_param", "default_currency", "attribution_window_days", "rate_limit", "auto_sync",
	"sync_every_minutes", "next_sync_at", "postback_token_hash", "postback_token_secret", "require_postback_token", "updated_at",
}

// UpdateIntegrationSettings writes the admin-editable attributes of an existing
// integration without touching what a running sync writes (its lease and progress).
func (s *Store) UpdateIntegrationSettings(ctx context.Context, in Integration) error {
	item, err := attributevalue.MarshalMap(in)
	if err != nil {
		return fmt.Errorf("encode integration: %w", err)
	}
	var update expression.UpdateBuilder
	for _, name := range integrationSettings {
		if v, ok := item[name]; ok {
			update = update.Set(expression.Name(name), expression.Value(v))
		} else {
			update = update.Remove(expression.Name(name))
		}
	}
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(expression.AttributeExists(expression.Name("integration_id"))).Build()
	if err != nil {
		return fmt.Errorf("build integration update: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.tables.Integrations),
		Key:                       stringKey("integration_id", in.IntegrationID),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("update integration: %w", err)
	}
	return nil
}
