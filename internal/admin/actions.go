package admin

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/trackly/tune-integration/internal/adminapi"
	"github.com/trackly/tune-integration/internal/conversions"
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
	Conversions  *conversions.Service
	Records      Records
	Now          func() time.Time
}

// postbackOutcomes are the outcomes list_postbacks filters by.
var postbackOutcomes = []trackly.PostbackOutcome{
	trackly.PostbackAccepted, trackly.PostbackInvalid, trackly.PostbackRejected, trackly.PostbackFailed,
	trackly.PostbackAttributed, trackly.PostbackOrphaned, trackly.PostbackDuplicate, trackly.PostbackChanged, trackly.PostbackStale,
}

func outcomeNames() string {
	names := make([]string, len(postbackOutcomes))
	for i, o := range postbackOutcomes {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

// NewAdminRouter returns AdminFunction's actions: integrations, links, reports, conversions (with their history and admins' corrections) and the postback log.
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
		if in.AccountID != "" {
			if err := validate.AccountID("account_id", in.AccountID); err != nil {
				return adminapi.IntegrationList{}, err
			}
		}
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
		if err := validate.AccountID("account_id", in.AccountID); err != nil {
			return adminapi.ConversionList{}, err
		}
		if err := validate.PageSize(in.Limit, validate.MaxPageSize); err != nil {
			return adminapi.ConversionList{}, err
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
	serve(r, adminapi.GetConversion, s.Conversions.Get)
	serve(r, adminapi.ChangeConversion, s.Conversions.Change)
	serve(r, adminapi.ListPostbacks, func(ctx context.Context, in adminapi.PostbackQuery) (adminapi.PostbackList, error) {
		if in.Day == "" {
			in.Day = s.Now().UTC().Format(time.DateOnly)
		}
		if _, err := validate.Date("day", in.Day); err != nil {
			return adminapi.PostbackList{}, err
		}
		if in.Outcome != "" && !slices.Contains(postbackOutcomes, in.Outcome) {
			return adminapi.PostbackList{}, validate.Field("outcome", "must be one of %s, not %q", outcomeNames(), in.Outcome)
		}
		if err := validate.PageSize(in.Limit, validate.MaxPageSize); err != nil {
			return adminapi.PostbackList{}, err
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
