package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/backoff"
	"github.com/trackly/tune-integration/internal/trackly"
)

// batchWriteSize is the most items one BatchWriteItem call takes.
const batchWriteSize = 25

// PutOffer stores an offer, replacing the previous version.
func (s *Store) PutOffer(ctx context.Context, o trackly.Offer) error {
	return s.put(ctx, s.tables.Offers, offerRow(&o))
}

// PutOffers stores offers, replacing previous versions, 25 per BatchWriteItem
// call, retrying the items a call leaves unprocessed. It returns how many
// BatchWriteItem calls it made. On error, the offers of the calls that
// succeeded are stored.
func (s *Store) PutOffers(ctx context.Context, offers []trackly.Offer) (int, error) {
	calls := 0
	for start := 0; start < len(offers); start += batchWriteSize {
		chunk := offers[start:min(start+batchWriteSize, len(offers))]
		writes := make([]types.WriteRequest, 0, len(chunk))
		for _, o := range chunk {
			item, err := offerRow(&o).item()
			if err != nil {
				return calls, fmt.Errorf("encode offer %s: %w", o.OfferID, err)
			}
			writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		}
		n, err := s.batchWrite(ctx, s.tables.Offers, writes)
		calls += n
		if err != nil {
			return calls, err
		}
	}
	return calls, nil
}

// batchWrite runs one BatchWriteItem of at most 25 writes to table and
// retries, with back-off, what it leaves unprocessed.
func (s *Store) batchWrite(ctx context.Context, table string, writes []types.WriteRequest) (int, error) {
	req := map[string][]types.WriteRequest{table: writes}
	calls := 0
	for attempt := 0; len(req[table]) > 0; attempt++ {
		if attempt > 0 {
			if attempt > maxUnprocessedRetries {
				return calls, fmt.Errorf("batch write to %s: %d items still unprocessed after %d attempts", table, len(req[table]), attempt)
			}
			if err := backoff.Wait(ctx, attempt); err != nil {
				return calls, fmt.Errorf("batch write to %s: %w", table, err)
			}
		}
		res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
		calls++
		if err != nil {
			return calls, fmt.Errorf("batch write to %s: %w", table, err)
		}
		req = res.UnprocessedItems
	}
	return calls, nil
}

// GetOffer reads one imported offer.
func (s *Store) GetOffer(ctx context.Context, integrationID, offerID string) (trackly.Offer, error) {
	return get(ctx, s, s.tables.Offers, stringKey("integration_id", integrationID, "offer_id", offerID), offerRow)
}

// GetOffers reads several offers in batches; missing ones are absent from the result.
func (s *Store) GetOffers(ctx context.Context, refs []trackly.OfferRef) (map[trackly.OfferRef]trackly.Offer, error) {
	seen := map[trackly.OfferRef]bool{}
	keys := make([]key, 0, len(refs))
	for _, r := range refs {
		if r.IntegrationID == "" || r.OfferID == "" || seen[r] {
			continue
		}
		seen[r] = true
		keys = append(keys, stringKey("integration_id", r.IntegrationID, "offer_id", r.OfferID))
	}
	return batchGet(ctx, s, s.tables.Offers, keys, offerRow, func(o trackly.Offer) trackly.OfferRef {
		return trackly.OfferRef{IntegrationID: o.IntegrationID, OfferID: o.OfferID}
	})
}

// IntegrationOffers reads every offer imported into an integration, removed
// ones included, with one strongly consistent Query (paged by DynamoDB).
func (s *Store) IntegrationOffers(ctx context.Context, integrationID string) ([]trackly.Offer, error) {
	offers, _, err := query(ctx, s, listQuery{
		table: s.tables.Offers,
		key:   expression.Key("integration_id").Equal(expression.Value(integrationID)),
	}, decoder(offerRow))
	return offers, err
}

// ListOffers lists an integration's imported offers a page at a time.
func (s *Store) ListOffers(ctx context.Context, f trackly.OfferFilter) ([]trackly.Offer, string, error) {
	q := listQuery{
		table: s.tables.Offers, cursor: f.Cursor, limit: f.Limit,
		key: expression.Key("integration_id").Equal(expression.Value(f.IntegrationID)),
	}
	if !f.IncludeRemoved {
		filter := expression.Name("removed").NotEqual(expression.Value(true))
		q.filter = &filter
	}
	return queryList(ctx, s, q, offerRow)
}
