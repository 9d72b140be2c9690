package admin

import (
	"context"
	"time"

	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/links"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/store"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// Records lists stored conversions and logged postbacks.
type Records interface {
	ListConversions(ctx context.Context, f store.ConversionFilter) ([]trackly.Conversion, string, error)
	ListPostbacks(ctx context.Context, f store.PostbackFilter) ([]trackly.PostbackLogEntry, string, error)
}

// AdminServices are what AdminFunction's actions use.
type AdminServices struct {
	Integrations *integrations.Service
	Links        *links.Service
	Reports      *reports.Service
	Records      Records
	Now          func() time.Time
}

type integrationRef struct {
	IntegrationID string `json:"integration_id"`
}

type integrationUpdate struct {
	IntegrationID string `json:"integration_id"`
	integrations.Settings
}

type accountRef struct {
	AccountID string `json:"account_id,omitempty"`
}

type linkRef struct {
	LinkID string `json:"link_id"`
}

type conversionQuery struct {
	AccountID   string              `json:"account_id"`
	Orphans     bool                `json:"orphans,omitempty"`
	Attribution trackly.Attribution `json:"attribution,omitempty"`
	Limit       int                 `json:"limit,omitempty"`
	Cursor      string              `json:"cursor,omitempty"`
}

type postbackQuery struct {
	Day     string                  `json:"day,omitempty"`
	Outcome trackly.PostbackOutcome `json:"outcome,omitempty"`
	Limit   int                     `json:"limit,omitempty"`
	Cursor  string                  `json:"cursor,omitempty"`
}

// NewAdminRouter returns AdminFunction's actions: integrations, links, reports, conversions and the postback log.
func NewAdminRouter(s AdminServices) *Router {
	r := NewRouter()
	r.Register("create_integration", Typed(func(ctx context.Context, in integrations.Settings) (any, error) {
		return s.Integrations.Create(ctx, in)
	}))
	r.Register("update_integration", Typed(func(ctx context.Context, in integrationUpdate) (any, error) {
		return s.Integrations.Update(ctx, in.IntegrationID, in.Settings)
	}))
	r.Register("get_integration", Typed(func(ctx context.Context, in integrationRef) (any, error) {
		got, err := s.Integrations.Get(ctx, in.IntegrationID)
		if err != nil {
			return nil, err
		}
		return integrations.ViewOf(got), nil
	}))
	r.Register("list_integrations", Typed(func(ctx context.Context, in accountRef) (any, error) {
		list, err := s.Integrations.List(ctx, in.AccountID)
		return map[string]any{"integrations": list}, err
	}))
	r.Register("postback_url", Typed(func(ctx context.Context, in integrationRef) (any, error) {
		return s.Integrations.PostbackURL(ctx, in.IntegrationID)
	}))
	r.Register("rotate_postback_token", Typed(func(ctx context.Context, in integrationRef) (any, error) {
		return s.Integrations.RotatePostbackToken(ctx, in.IntegrationID)
	}))
	r.Register("create_link", Typed(func(ctx context.Context, in links.Request) (any, error) {
		return s.Links.Create(ctx, in)
	}))
	r.Register("get_link", Typed(func(ctx context.Context, in linkRef) (any, error) {
		return s.Links.Get(ctx, in.LinkID)
	}))
	r.Register("report", Typed(func(ctx context.Context, in reports.Query) (any, error) {
		return s.Reports.Report(ctx, in)
	}))
	r.Register("list_conversions", Typed(func(ctx context.Context, in conversionQuery) (any, error) {
		if in.AccountID == "" {
			return nil, validate.Field("account_id", "is required")
		}
		f := store.ConversionFilter{AccountID: in.AccountID, Attribution: in.Attribution, Limit: in.Limit, Cursor: in.Cursor}
		if in.Orphans {
			f.Attribution = trackly.ConversionOrphan
		}
		if f.Attribution != "" && f.Attribution != trackly.ConversionOrphan && f.Attribution != trackly.ConversionAttributed {
			return nil, validate.Field("attribution", "must be %q or %q, not %q", trackly.ConversionAttributed, trackly.ConversionOrphan, f.Attribution)
		}
		list, next, err := s.Records.ListConversions(ctx, f)
		if err != nil {
			return nil, err
		}
		return map[string]any{"conversions": list, "next_cursor": next}, nil
	}))
	r.Register("list_postbacks", Typed(func(ctx context.Context, in postbackQuery) (any, error) {
		if in.Day == "" {
			in.Day = s.Now().UTC().Format(time.DateOnly)
		}
		if _, err := time.Parse(time.DateOnly, in.Day); err != nil {
			return nil, validate.Field("day", "must be a date like 2026-01-31, not %q", in.Day)
		}
		list, next, err := s.Records.ListPostbacks(ctx, store.PostbackFilter{Day: in.Day, Outcome: in.Outcome, Limit: in.Limit, Cursor: in.Cursor})
		if err != nil {
			return nil, err
		}
		return map[string]any{"day": in.Day, "postbacks": list, "next_cursor": next}, nil
	}))
	return r
}
