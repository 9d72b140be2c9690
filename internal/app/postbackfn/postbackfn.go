// Package postbackfn wires PostbackFunction, which serves TUNE's postbacks on
// the HTTP API.
package postbackfn

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trackly/tune-integration/internal/app/httpfn"
	"github.com/trackly/tune-integration/internal/postbacks"
	"github.com/trackly/tune-integration/internal/queue"
)

// Function is PostbackFunction. Its handler lives as long as the function
// instance, and with it what the handler keeps of the links and integrations
// it reads to check tokens. The click signing key loads while the first
// postback is read; the handler answers 503, which TUNE retries, to the
// postbacks that come while the key cannot be loaded.
var Function = httpfn.Function("PostbackFunction", []string{"LINKS_TABLE", "INTEGRATIONS_TABLE", "POSTBACK_LOG_TABLE", "POSTBACK_QUEUE_URL"}, func(p httpfn.Parts) (httpfn.Routes, error) {
	q := queue.NewSender(sqs.NewFromConfig(p.AWS), p.Getenv("POSTBACK_QUEUE_URL"))
	h := postbacks.NewHandler(q, p.Store, p.Signer, p.Logger, p.Now)
	return httpfn.Routes{"GET /api/postbacks/tune": h, "POST /api/postbacks/tune": h}, nil
})
