package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/trackly/tune-integration/internal/adminapi"
	domain "github.com/trackly/tune-integration/internal/trackly" // package trackly; here, trackly names the CLI
)

// progressEvery is how often progress polls the integration's sync runs.
var progressEvery = time.Second

// withProgress runs work, an import or a sync of integrationID. When show is
// set and both stdout and stderr are terminals, it polls list_sync_runs while
// work is in flight and redraws one status line on stderr with the run's
// counters (trigger picks the run: an import or a manual sync); otherwise it prints nothing.
func (c *cli) withProgress(ctx context.Context, show bool, integrationID string, trigger domain.SyncTrigger, label string, work func(context.Context) (json.RawMessage, error)) (json.RawMessage, error) {
	if !show || !isTerminal(c.stdout) || !isTerminal(c.stderr) {
		return work(ctx)
	}
	iv, err := c.invoker(ctx)
	if err != nil {
		return nil, err
	}
	// baseline is the newest run before work starts: runs are listed newest
	// first, so the ones listed before it started since.
	baseline := ""
	if runs, err := c.latestRuns(ctx, iv, integrationID, 1); err == nil && len(runs) > 0 {
		baseline = runs[0].RunID
	}

	type result struct {
		raw json.RawMessage
		err error
	}
	done := make(chan result, 1)
	go func() {
		raw, err := work(ctx)
		done <- result{raw, err}
	}()

	start := time.Now()
	var run *adminapi.SyncRun
	draw := func(frame int) {
		fmt.Fprint(c.stderr, "\r\033[K"+progressLine(label, run, frame, time.Since(start)))
	}
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	draw(0)
	for frame := 1; ; frame++ {
		select {
		case res := <-done:
			fmt.Fprint(c.stderr, "\r\033[K")
			return res.raw, res.err
		case <-tick.C:
			pctx, cancel := context.WithTimeout(ctx, progressEvery*5)
			runs, err := c.latestRuns(pctx, iv, integrationID, 3)
			cancel()
			if err == nil {
				for _, r := range runs {
					if r.RunID == baseline {
						break
					}
					if r.Trigger == trigger {
						run = &r
						break
					}
				}
			}
			draw(frame)
		}
	}
}

func (c *cli) latestRuns(ctx context.Context, iv *invoker, integrationID string, n int) ([]adminapi.SyncRun, error) {
	raw, err := iv.invoke(ctx, adminapi.ListSyncRuns, adminapi.SyncRunQuery{IntegrationID: integrationID, Limit: n})
	if err != nil {
		return nil, err
	}
	var v adminapi.SyncRunList
	err = json.Unmarshal(raw, &v)
	return v.Runs, err
}

var spinner = []string{"|", "/", "-", `\`}

// progressLine is the status line: a bar when the page count is known, else a
// spinner and the pages (calls) read so far, and the run's offer counters (an
// import removes none).
func progressLine(label string, r *adminapi.SyncRun, frame int, elapsed time.Duration) string {
	var b strings.Builder
	b.WriteString(printable(label))
	b.WriteString("  ")
	if r != nil && r.PageCount > 0 {
		const width = 20
		done := min(r.LastPage, r.PageCount)
		filled := width * done / r.PageCount
		fmt.Fprintf(&b, "[%s%s] page %d/%d", strings.Repeat("#", filled), strings.Repeat("-", width-filled), done, r.PageCount)
	} else {
		b.WriteString(spinner[frame%len(spinner)])
		if r != nil && r.Pages > 0 {
			fmt.Fprintf(&b, " %d pages", r.Pages)
		}
	}
	if r != nil && (r.OffersSeen > 0 || r.OffersNew > 0) {
		fmt.Fprintf(&b, "  %d seen, %d new, %d changed", r.OffersSeen, r.OffersNew, r.OffersChanged)
		if r.Trigger != domain.SyncTriggerImport {
			fmt.Fprintf(&b, ", %d removed", r.OffersRemoved)
		}
	}
	fmt.Fprintf(&b, "  %s", elapsed.Round(time.Second))
	return b.String()
}
