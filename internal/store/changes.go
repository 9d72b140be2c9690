package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trackly/tune-integration/internal/trackly"
)

// The report counts clicks and conversions from their tables' streams: a
// click or a conversion is written alone (or with its postback's log entry),
// and the stream's records, decoded by DecodeChange, come to CountChanges in
// batches, which applies their increments summed per report row. So no write
// on the path of a tap or a postback touches an item another one touches, and
// one report row takes one write per batch rather than one per tap.

// DecodeChange reads a record of the clicks or the conversions table's
// stream, as Lambda delivers it, into the change it tells: the record before
// and after, from the stream's old and new images.
func (s *Store) DecodeChange(r events.DynamoDBEventRecord) (trackly.Change, error) {
	ch := trackly.Change{ID: r.EventID}
	if ch.ID == "" {
		return ch, fmt.Errorf("stream record %s has no eventID", r.Change.SequenceNumber)
	}
	var err error
	switch table := streamTable(r.EventSourceArn); table {
	case s.tables.Clicks:
		ch.OldClick, ch.NewClick, err = images(r.Change, clickRow)
	case s.tables.Conversions:
		ch.OldConversion, ch.NewConversion, err = images(r.Change, conversionRow)
	default:
		err = fmt.Errorf("it comes from the stream of table %q, neither the clicks' (%s) nor the conversions' (%s)", table, s.tables.Clicks, s.tables.Conversions)
	}
	if err != nil {
		return ch, fmt.Errorf("stream record %s: %w", r.EventID, err)
	}
	return ch, nil
}

// streamTable returns the name of the table whose stream has the given ARN,
// arn:<partition>:dynamodb:<region>:<account>:table/<name>/stream/<label>.
func streamTable(streamARN string) string {
	_, resource, _ := strings.Cut(streamARN, ":table/")
	name, _, _ := strings.Cut(resource, "/stream/")
	return name
}

// images decodes the old and new images of a stream record through the
// layout rowOf binds; an image the record lacks is nil.
func images[T any](r events.DynamoDBStreamRecord, rowOf func(*T) row) (old, new *T, err error) {
	if old, err = image(r.OldImage, rowOf); err != nil {
		return nil, nil, fmt.Errorf("old image: %w", err)
	}
	if new, err = image(r.NewImage, rowOf); err != nil {
		return nil, nil, fmt.Errorf("new image: %w", err)
	}
	return old, new, nil
}

func image[T any](img map[string]events.DynamoDBAttributeValue, rowOf func(*T) row) (*T, error) {
	if img == nil {
		return nil, nil
	}
	item, err := fromStream(img)
	if err != nil {
		return nil, err
	}
	v, err := decode(item, rowOf)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// fromStream converts an image of a Lambda stream event to the SDK's
// attribute values, numbers kept as the exact decimal strings they are.
func fromStream(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	item := make(map[string]types.AttributeValue, len(img))
	for name, av := range img {
		v, err := streamValue(av)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		item[name] = v
	}
	return item, nil
}

func streamValue(av events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch av.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: av.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: av.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: av.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: av.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: av.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: av.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: av.BinarySet()}, nil
	case events.DataTypeList:
		elems := av.List()
		list := make([]types.AttributeValue, len(elems))
		for i, e := range elems {
			v, err := streamValue(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			list[i] = v
		}
		return &types.AttributeValueMemberL{Value: list}, nil
	case events.DataTypeMap:
		m, err := fromStream(av.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %d", av.DataType())
}

// countedChangeRetention is how long the mark of a counted change is kept
// (DynamoDB TTL): longer than a stream keeps its records (24 hours), so that
// every delivery of a change again finds it counted.
const countedChangeRetention = 48 * time.Hour

// CountChanges adds increments to the report rows and marks the changes with
// the given IDs counted, in one transaction that requires none of them to be
// marked yet: one item per change in the counted changes table, one per
// increment in the reports table (so at most one increment per row, and 100
// items in all). When some are marked (an earlier delivery counted them and
// its answer was lost), nothing is written and CountChanges returns their IDs.
// Any other failure is returned as an error, nothing written: a transaction
// cancelled by a conflict or by throttling, which the SDK does not retry.
func (s *Store) CountChanges(ctx context.Context, changeIDs []string, increments []trackly.ReportIncrement) ([]string, error) {
	countedAt := time.Now()
	items := make([]types.TransactWriteItem, 0, len(changeIDs)+len(increments))
	for _, id := range changeIDs {
		put, err := newItemPut(s.tables.CountedChanges, "change_id", countedChangeRow(id, countedAt))
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: put})
	}
	updates, err := s.incrementItems(increments)
	if err != nil {
		return nil, err
	}
	items = append(items, updates...)
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		var counted []string
		for i, reason := range canceled.CancellationReasons {
			if i < len(changeIDs) && aws.ToString(reason.Code) == "ConditionalCheckFailed" {
				counted = append(counted, changeIDs[i])
			}
		}
		if len(counted) > 0 {
			return counted, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("count %d changes in %d report rows: %w", len(changeIDs), len(increments), err)
	}
	return nil, nil
}
