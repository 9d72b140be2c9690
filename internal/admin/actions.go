package admin

import (
	"context"
	"time"

	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/links"
	"github.com/trackly/tune-integration/internal/reports"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

// Records lists stored conversions and logged postbacks.
type Records interface {
	ListConversions(ctx context.Context, f trackly.ConversionFilter) ([]trackly.Conversion, string, error)
	ListPostbacks(ctx context.Context, f trackly.PostbackFilter) ([]trackly.PostbackLogEntry, string, error)
}

// AdminServices are what AdminFunction's actions use.
type AdminServices struct {
	Integrations *integrations.Service
	Links        *links.Service
	Reports      *reports.Service
	Records      Records
	Now          func() time.Time
}

// NewAdminRouter returns AdminFunction's actions: integrations, links, reports, conversions and the postback log.
func NewAdminRouter(s AdminServices) *Router {
	r := NewRouter()
	serve(r, adminapi.CreateIntegration, s.Integrations.Create)
	serve(r, adminapi.UpdateIntegration, func(ctx context.Context, in adminapi.IntegrationUpdate) (adminapi.Integration, error) {
		return s.Integrations.Update(ctx, in.IntegrationID, in.Settings)
	})
	serve(r, adminapi.GetIntegration, func(ctx context.Context, in adminapi.IntegrationRef) (adminapi.Integration, error) {
		got, err := s.Integrations.Get(ctx, in.IntegrationID)
		if err != nil {
			return adminapi.Integration{}, err
		}
		return integrations.ViewOf(got), nil
	})
	serve(r, adminapi.ListIntegrations, func(ctx context.Context, in adminapi.IntegrationsQuery) (adminapi.IntegrationList, error) {
		list, err := s.Integrations.List(ctx, in.AccountID)
		return adminapi.IntegrationList{Integrations: list}, err
	})
	serve(r, adminapi.PostbackURL, func(ctx context.Context, in adminapi.IntegrationRef) (adminapi.GlobalPostbackURL, error) {
		return s.Integrations.PostbackURL(ctx, in.IntegrationID)
	})
	serve(r, adminapi.RotatePostbackToken, func(ctx context.Context, in adminapi.IntegrationRef) (adminapi.GlobalPostbackURL, error) {
		return s.Integrations.RotatePostbackToken(ctx, in.IntegrationID)
	})
	serve(r, adminapi.CreateLink, s.Links.Create)
	serve(r, adminapi.GetLink, func(ctx context.Context, in adminapi.LinkRef) (adminapi.Link, error) {
		return s.Links.Get(ctx, in.LinkID)
	})
	serve(r, adminapi.Report, s.Reports.Report)
	serve(r, adminapi.ListConversions, func(ctx context.Context, in adminapi.ConversionQuery) (adminapi.ConversionList, error) {
		if in.AccountID == "" {
			return adminapi.ConversionList{}, validate.Field("account_id", "is required")
		}
		f := trackly.ConversionFilter{AccountID: in.AccountID, Attribution: in.Attribution, Limit: in.Limit, Cursor: in.Cursor}
		if in.Orphans {
			f.Attribution = trackly.ConversionOrphan
		}
		if f.Attribution != "" && f.Attribution != trackly.ConversionOrphan && f.Attribution != trackly.ConversionAttributed {
			return adminapi.ConversionList{}, validate.Field("attribution", "must be %q or %q, not %q", trackly.ConversionAttributed, trackly.ConversionOrphan, f.Attribution)
		}
		list, next, err := s.Records.ListConversions(ctx, f)
		if err != nil {
			return adminapi.ConversionList{}, err
		}
		return adminapi.ConversionList{Conversions: list, NextCursor: next}, nil
	})
	serve(r, adminapi.ListPostbacks, func(ctx context.Context, in adminapi.PostbackQuery) (adminapi.PostbackList, error) {
		if in.Day == "" {
			in.Day = s.Now().UTC().Format(time.DateOnly)
		}
		if _, err := time.Parse(time.DateOnly, in.Day); err != nil {
			return adminapi.PostbackList{}, validate.Field("day", "must be a date like 2026-01-31, not %q", in.Day)
		}
		list, next, err := s.Records.ListPostbacks(ctx, trackly.PostbackFilter{Day: in.Day, Outcome: in.Outcome, Limit: in.Limit, Cursor: in.Cursor})
		if err != nil {
			return adminapi.PostbackList{}, err
		}
		return adminapi.PostbackList{Day: in.Day, Postbacks: list, NextCursor: next}, nil
	})
	mustServeAll(r, adminapi.AdminFunction)
	return r
}
