// Package queue sends messages to SQS.
package queue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Client is the part of the SQS API the Sender uses.
type Client interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Sender sends JSON messages to one queue.
type Sender struct {
	client Client
	url    string
}

// NewSender returns a Sender for the queue at url.
func NewSender(client Client, url string) *Sender {
	return &Sender{client: client, url: url}
}

// SendJSON sends v as a JSON message. A nil error means SQS has stored the message durably.
func (s *Sender) SendJSON(ctx context.Context, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	if _, err := s.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.url), MessageBody: aws.String(string(body))}); err != nil {
		return fmt.Errorf("send to queue: %w", err)
	}
	return nil
}
