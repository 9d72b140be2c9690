// Package clickfn wires ClickFunction, which serves tracked SMS links on the
// HTTP API.
package clickfn

import (
	"github.com/trackly/tune-integration/internal/app/httpfn"
	"github.com/trackly/tune-integration/internal/clicks"
)

// Function is ClickFunction. The click signing key loads while the first tap
// reads its link.
var Function = httpfn.Function("ClickFunction", []string{"LINKS_TABLE", "OFFERS_TABLE", "INTEGRATIONS_TABLE", "CLICKS_TABLE"}, func(p httpfn.Parts) (httpfn.Routes, error) {
	window, err := p.AttributionWindow()
	if err != nil {
		return nil, err
	}
	return httpfn.Routes{"GET /c/{link_id}": clicks.NewHandler(p.Store, p.Signer, window, p.Logger, p.Now)}, nil
})
