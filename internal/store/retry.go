package store

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ConflictRetryables make a retryer retry what DynamoDB answers a write that
// meets a transaction in progress on one of its items, which the SDK leaves
// to its caller: a single write's TransactionConflictException, and a
// transaction cancelled for conflicts or throttling alone (never one whose
// condition failed). The postback handler's log entry meets attribution's
// transaction on it, and two deliveries of one conversion's postbacks meet on
// the conversion: unretried, the log entry lost the request's details and the
// message waited out its visibility timeout.
var ConflictRetryables = []retry.IsErrorRetryable{
	retry.RetryableErrorCode{Codes: map[string]struct{}{"TransactionConflictException": {}}},
	retry.IsErrorRetryableFunc(transactionMetAnother),
}

// transactionMetAnother says whether a cancelled transaction met only other
// transactions or an item's throughput limit, and may be retried as it is.
func transactionMetAnother(err error) aws.Ternary {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return aws.UnknownTernary
	}
	met := false
	for _, r := range canceled.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "None":
		case "TransactionConflict", "ThrottlingError":
			met = true
		default:
			return aws.FalseTernary
		}
	}
	return aws.BoolTernary(met)
}
