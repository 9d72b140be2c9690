package offers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
	"github.com/trackly/tune-integration/internal/validate"
)

// MaxImportIDs is the most offer ids one import_offers call takes.
const MaxImportIDs = 1000

// ImportRequest is import_offers' payload: the chosen offer ids, or a filter
// to import every offer that matches it (an empty filter imports them all).
type ImportRequest struct {
	IntegrationID string        `json:"integration_id"`
	OfferIDs      []string      `json:"offer_ids,omitempty"`
	Filter        *ImportFilter `json:"filter,omitempty"`
}

// ImportFilter selects the network's offers to import.
type ImportFilter struct {
	Status []string `json:"status,omitempty"`
	Search string   `json:"search,omitempty"`
}

// ImportResult is what import_offers did.
type ImportResult struct {
	IntegrationID string `json:"integration_id"`
	RunID         string `json:"run_id"`
	// Imported is the number of offers asked for that are now imported
	// (new, updated or already up to date).
	Imported  int `json:"imported"`
	New       int `json:"new"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// NotFound lists asked ids the network did not return (unknown, or not
	// visible to the key: affiliate keys see only active, approved offers).
	NotFound []string       `json:"not_found,omitempty"`
	Failed   []OfferFailure `json:"failed,omitempty"`
	// Complete is false when the import stopped before the Lambda deadline
	// or was interrupted; running it again continues (offers already
	// imported are not asked again).
	Complete bool `json:"complete"`
	// Status is the status of the import's run: succeeded, partial (it
	// stopped before the deadline) or interrupted (its invocation was cancelled).
	Status  trackly.SyncStatus `json:"status"`
	Message string             `json:"message,omitempty"`
	// Offers are the imported offers, in id order, at most 1000.
	Offers []trackly.Offer `json:"offers"`
	// OffersOmitted counts the imported offers left out of Offers; list_offers pages through them all.
	OffersOmitted int `json:"offers_omitted,omitempty"`
}

// Import imports the chosen offers (or every offer matching a filter) into
// an integration: new ones are added, imported ones brought up to date, and
// only those whose mapped fields changed are written. The run is recorded
// with trigger "import". A TUNE failure is returned as a *tune.Error after
// the offers already read are written. An import whose context is cancelled
// stops at once, writes the offers already read and answers with status
// interrupted.
func (s *Service) Import(ctx context.Context, r ImportRequest) (ImportResult, error) {
	wanted, err := checkImport(r)
	if err != nil {
		return ImportResult{}, err
	}
	in, c, err := s.integrationClient(ctx, r.IntegrationID)
	if err != nil {
		return ImportResult{}, err
	}
	j := s.newJob(in, c, trackly.SyncTriggerImport, false)
	if err := s.putRunning(ctx, j); err != nil {
		return ImportResult{}, err
	}
	fctx, cancel := finalContext(ctx)
	defer cancel()
	runErr := j.end(ctx, fctx, s.runImport(ctx, j, wanted, r.Filter))
	if err := s.store.PutSyncRun(fctx, j.run); err != nil {
		return ImportResult{}, errors.Join(runErr, fmt.Errorf("record import run: %w", err))
	}
	if j.run.Status == trackly.SyncFailed {
		return ImportResult{}, runErr
	}
	s.logger.InfoContext(ctx, "offers imported", "integration_id", in.IntegrationID, "run_id", j.run.RunID,
		"status", j.run.Status, "pages", j.run.Pages, "new", j.run.OffersNew, "changed", j.run.OffersChanged, "tune_calls", j.run.TUNECalls)
	return j.importResult(wanted, runErr), nil
}

// checkImport validates an import request and returns its offer ids, unique.
func checkImport(r ImportRequest) ([]string, error) {
	switch {
	case len(r.OfferIDs) > 0 && r.Filter != nil:
		return nil, validate.Field("offer_ids", "give offer_ids or filter, not both")
	case len(r.OfferIDs) == 0 && r.Filter == nil:
		return nil, validate.Field("offer_ids", "is required: the offer ids to import, or a filter ({} imports every offer)")
	case len(r.OfferIDs) > MaxImportIDs:
		return nil, validate.Field("offer_ids", "must list at most %d ids; import more with a filter", MaxImportIDs)
	case r.Filter != nil:
		return nil, checkFilter(r.Filter.Status, r.Filter.Search)
	}
	var wanted []string
	for _, id := range r.OfferIDs {
		id = strings.TrimSpace(id)
		if !isDigits(id) || len(id) > 20 {
			return nil, validate.Field("offer_ids", "must be TUNE's numeric offer ids, not %q", id)
		}
		if !slices.Contains(wanted, id) {
			wanted = append(wanted, id)
		}
	}
	return wanted, nil
}

// runImport reads the chosen offers, or pages through the filtered listing,
// and writes the new and changed ones in whole batches; end writes the rest.
func (s *Service) runImport(ctx context.Context, j *job, wanted []string, f *ImportFilter) error {
	wctx, cancel := j.workContext(ctx)
	defer cancel()
	var listErr error
	if f == nil {
		refs := make([]trackly.OfferRef, len(wanted))
		for i, id := range wanted {
			refs[i] = trackly.OfferRef{IntegrationID: j.in.IntegrationID, OfferID: id}
		}
		stored, err := s.store.GetOffers(ctx, refs)
		if err != nil {
			return err
		}
		for ref, o := range stored {
			j.stored[ref.OfferID] = o
		}
		listErr = j.listIDs(ctx, wctx, wanted)
	} else {
		stored, err := s.store.IntegrationOffers(ctx, j.in.IntegrationID)
		if err != nil {
			return err
		}
		for _, o := range stored {
			j.stored[o.OfferID] = o
		}
		var res pageResult
		res, listErr = j.listPages(ctx, wctx, tune.OfferQuery{Statuses: f.Status, NameContains: strings.TrimSpace(f.Search)}, 1, "")
		if listErr == nil && !res.complete {
			listErr = errStopped
		}
	}
	j.run.Complete = listErr == nil
	return listErr
}

// importResult summarises an import for its answer.
func (j *job) importResult(wanted []string, runErr error) ImportResult {
	res := ImportResult{
		IntegrationID: j.in.IntegrationID,
		RunID:         j.run.RunID,
		New:           j.run.OffersNew,
		Updated:       j.run.OffersChanged,
		Unchanged:     j.run.OffersUnchanged,
		Failed:        j.failures,
		Complete:      runErr == nil,
		Status:        j.run.Status,
		Offers:        []trackly.Offer{},
	}
	switch j.run.Status {
	case trackly.SyncPartial:
		res.Message = "the import stopped before the Lambda deadline; run it again to continue"
	case trackly.SyncInterrupted:
		res.Message = "the import was interrupted; run it again to continue"
	}
	ids := wanted
	if ids == nil {
		for id := range j.seen {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, compareIDs)
	}
	failed := map[string]bool{}
	for _, f := range j.failures {
		failed[f.OfferID] = true
	}
	for _, id := range ids {
		if !j.seen[id] {
			if res.Complete {
				res.NotFound = append(res.NotFound, id)
			}
			continue
		}
		o, ok := j.stored[id]
		if !ok || failed[id] {
			continue
		}
		res.Imported++
		if len(res.Offers) < maxOffersInAnswer {
			res.Offers = append(res.Offers, o)
		} else {
			res.OffersOmitted++
		}
	}
	return res
}
