package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trackly/tune-integration/internal/trackly"
)

// CreateIntegration stores a new integration; trackly.ErrConflict means its id is taken.
func (s *Store) CreateIntegration(ctx context.Context, in trackly.Integration) error {
	return s.putNew(ctx, s.tables.Integrations, "integration_id", integrationRow(&in))
}

// GetIntegration reads an integration by id.
func (s *Store) GetIntegration(ctx context.Context, integrationID string) (trackly.Integration, error) {
	return get(ctx, s, s.tables.Integrations, stringKey("integration_id", integrationID), integrationRow)
}

// GetIntegrations reads several integrations in batches; missing ids are absent from the result.
func (s *Store) GetIntegrations(ctx context.Context, integrationIDs []string) (map[string]trackly.Integration, error) {
	return batchGet(ctx, s, s.tables.Integrations, stringKeys("integration_id", integrationIDs), integrationRow, func(in trackly.Integration) string { return in.IntegrationID })
}

// ListIntegrations lists integrations, of one account when accountID is set.
func (s *Store) ListIntegrations(ctx context.Context, accountID string) ([]trackly.Integration, error) {
	var filter *expression.ConditionBuilder
	if accountID != "" {
		f := expression.Name("account_id").Equal(expression.Value(accountID))
		filter = &f
	}
	out, err := s.scanIntegrations(ctx, filter)
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// scanIntegrations reads every integration that passes filter (nil: all).
// Integrations are few, so reading the whole table is the right access.
func (s *Store) scanIntegrations(ctx context.Context, filter *expression.ConditionBuilder) ([]trackly.Integration, error) {
	in := &dynamodb.ScanInput{TableName: aws.String(s.tables.Integrations), ConsistentRead: aws.Bool(true)}
	if filter != nil {
		expr, err := expression.NewBuilder().WithFilter(*filter).Build()
		if err != nil {
			return nil, fmt.Errorf("build integrations filter: %w", err)
		}
		in.FilterExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expr.Filter(), expr.Names(), expr.Values()
	}
	var out []trackly.Integration
	p := dynamodb.NewScanPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan integrations: %w", err)
		}
		for _, item := range page.Items {
			in, err := decode(item, integrationRow)
			if err != nil {
				return nil, fmt.Errorf("decode integration: %w", err)
			}
			out = append(out, in)
		}
	}
	return out, nil
}

// integrationSettings are the attributes an admin edits. A setting absent from
// the integration is left as stored, unless it is clearable: then it is removed.
var integrationSettings = map[string]bool{
	"name": false, "network_id": false, "api_domain": false, "key_kind": false, "click_param": false,
	"default_currency": false, "attribution_window_days": false, "auto_sync": false,
	"postback_token_hash": false, "postback_token_secret": false, "require_postback_token": false, "updated_at": false,
	"api_base_url": true, "api_key_secret": true, "affiliate_id": true, "rate_limit": true, "sync_every_minutes": true,
	"reconcile": false, "time_zone": true, "reconcile_every_minutes": true, "reconcile_lookback_days": true,
}

// UpdateIntegrationSettings writes the admin-editable attributes of an existing
// integration without touching what a running sync or reconciliation writes
// (its lease, progress and next run time). A non-zero NextSyncAt reschedules
// the next sync, a non-zero NextReconcileAt the next reconciliation.
// trackly.ErrNotFound means there is no such integration.
func (s *Store) UpdateIntegrationSettings(ctx context.Context, in trackly.Integration) error {
	item, err := integrationRow(&in).item()
	if err != nil {
		return fmt.Errorf("encode integration: %w", err)
	}
	var update expression.UpdateBuilder
	for name, clearable := range integrationSettings {
		if v, ok := item[name]; ok {
			update = update.Set(expression.Name(name), expression.Value(v))
		} else if clearable {
			update = update.Remove(expression.Name(name))
		}
	}
	for name, next := range map[string]time.Time{"next_sync_at": in.NextSyncAt, "next_reconcile_at": in.NextReconcileAt} {
		if !next.IsZero() {
			update = update.Set(expression.Name(name), expression.Value(item[name]))
		}
	}
	exists := expression.AttributeExists(expression.Name("integration_id"))
	_, err = s.update(ctx, s.tables.Integrations, stringKey("integration_id", in.IntegrationID), update, &exists, trackly.ErrNotFound)
	return err
}
