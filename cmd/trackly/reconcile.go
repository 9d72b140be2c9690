package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/internal/adminapi"
	domain "github.com/trackly/tune-integration/internal/trackly"
)

// reconcileWindow is a run's window as admins read it: "2026-11-18 to 2026-11-24 (UTC)".
func reconcileWindow(r adminapi.ReconcileRun) string {
	if r.From == "" {
		return "-"
	}
	return fmt.Sprintf("%s to %s (%s)", r.From, r.To, r.TimeZone)
}

// printReconcileRun prints a run as reconcile_conversions answers it. The
// error of a run that failed or did not run is left to the line the command
// ends with on stderr.
func printReconcileRun(w io.Writer, r adminapi.ReconcileRun) {
	row(w, "Run", fmt.Sprintf("%s of %s (%s)", dash(r.RunID), r.IntegrationID, dash(string(r.Trigger))))
	row(w, "Status", strings.Join(slices.DeleteFunc([]string{string(r.Status), r.ErrorKind, yesNo(r.Complete, "every page of every day read", "")},
		func(s string) bool { return s == "" }), ", "))
	row(w, "Window", reconcileWindow(r))
	row(w, "Started", when(r.StartedAt))
	row(w, "TUNE calls", fmt.Sprint(r.TUNECalls))
	row(w, "Rows", fmt.Sprintf("%d seen: %d new, %d changed, %d unchanged, %d stale, %d test, %d not ours, %d ignored, %d failed",
		r.RowsSeen, r.New, r.Changed, r.Unchanged, r.Stale, r.TestSkipped, r.NotOurs, r.Ignored, r.Failed))
	row(w, "Missing at TUNE", fmt.Sprintf("%d (%d listed again)", r.MissingAtTUNE, r.MissingCleared))
	if r.ResumedFrom != "" {
		row(w, "Resumed from", r.ResumedFrom)
	}
	if r.ResumeDay != "" {
		row(w, "Resumes at", fmt.Sprintf("%s, page %d", r.ResumeDay, r.ResumePage))
	}
	if r.Error != "" && r.Status != domain.SyncFailed && r.Status != domain.SyncSkipped {
		row(w, "Error", r.Error)
	}
}

func (c *cli) conversionsReconcile() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Reconcile an integration's conversions with TUNE's conversions report now (reconcile_conversions)",
		Long: `Read TUNE's conversions report of an integration's network, a day at a time, and bring
the integration's conversions in line with it (ReconciliationFunction reconcile_conversions):
conversions whose postback never came are recorded, status and payout changes applied,
conversions TUNE no longer lists flagged missing (never deleted). Days are the network's
(the integration's time_zone); without --from and --to the run covers the integration's
lookback, today included. TUNE's test conversions and other people's sub values are
counted, never recorded. A failed run exits 1.`,
		Example: `  trackly conversions reconcile -i in_demo
  trackly conversions reconcile -i in_demo --from 2026-11-01 --to 2026-11-07 -o json`,
		Args: cobra.NoArgs,
	}
	var r adminapi.ReconcileRequest
	p := newPayload(cmd, &r)
	c.integrationFlag(cmd, &r.IntegrationID)
	p.str(&r.From, "from", "first day, like 2026-11-01, in the network's time zone (default: the lookback's first)")
	p.str(&r.To, "to", "last day, like 2026-11-07 (default: today in the network's time zone)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		run, err := sendV(cmd.Context(), c, adminapi.ReconcileConversions, p, printReconcileRun)
		if err != nil {
			return err
		}
		if run.Status == domain.SyncSkipped {
			printf(c.stderr, "trackly: the reconciliation did not run: %s\n", or(run.Error, "another reconciliation of this integration is running"))
		}
		if msg := runFailure(run.Run, "reconciliation"); msg != "" {
			return errors.New(msg)
		}
		return nil
	}
	return cmd
}

func (c *cli) conversionsRuns() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List an integration's reconciliations with TUNE, newest first (list_reconciliation_runs)",
		Example: `  trackly conversions runs -i in_demo
  trackly conversions runs -i in_demo --limit 5 -o json`,
		Args: cobra.NoArgs,
	}
	var q adminapi.ReconcileRunQuery
	c.integrationFlag(cmd, &q.IntegrationID)
	pagedList[adminapi.ReconcileRunList]{
		action: adminapi.ListReconciliationRuns, what: "runs", limit: &q.Limit, cursor: &q.Cursor,
		empty: func(v adminapi.ReconcileRunList) (string, bool) {
			return fmt.Sprintf("No reconciliations of %s yet.", v.IntegrationID), len(v.Runs) == 0
		},
		table: func(w io.Writer, v adminapi.ReconcileRunList) {
			if !v.NextRunAt.IsZero() {
				printf(w, "Next scheduled run: %s\n\n", when(v.NextRunAt))
			}
			row(w, "STARTED", "RUN", "TRIGGER", "STATUS", "WINDOW", "CALLS", "ROWS", "NEW", "CHANGED", "UNCHANGED", "STALE",
				"TEST", "NOT OURS", "MISSING", "ERROR")
			for _, r := range v.Runs {
				row(w, when(r.StartedAt), r.RunID, string(r.Trigger), string(r.Status), reconcileWindow(r), fmt.Sprint(r.TUNECalls),
					fmt.Sprint(r.RowsSeen), fmt.Sprint(r.New), fmt.Sprint(r.Changed), fmt.Sprint(r.Unchanged), fmt.Sprint(r.Stale),
					fmt.Sprint(r.TestSkipped), fmt.Sprint(r.NotOurs), fmt.Sprint(r.MissingAtTUNE), dash(firstLine(r.Error)))
			}
		},
	}.setUp(c, newPayload(cmd, &q))
	return cmd
}

func (c *cli) reconcileDue() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reconcile-due",
		Short: "Reconcile every integration whose scheduled reconciliation is due, as the schedule does (reconcile_due)",
		Example: `  trackly sync reconcile-due
  aws lambda invoke --function-name <ReconciliationFunctionName> --payload fileb://events/reconciliation-reconcile-due.json /dev/stdout   # the same`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		v, err := sendV(cmd.Context(), c, adminapi.ReconcileDue, adminapi.ReconcileDueRequest{}, func(w io.Writer, v adminapi.ReconcileDueResult) {
			printf(w, "%s due.\n", count(v.Due, "integration", "integrations"))
			for _, r := range v.Runs {
				printf(w, "\n")
				printReconcileRun(w, r)
			}
			if len(v.NotStarted) > 0 {
				printf(w, "\nLeft for the next run (deadline near): %s\n", strings.Join(v.NotStarted, ", "))
			}
		})
		if err != nil {
			return err
		}
		failed := slices.DeleteFunc(slices.Clone(v.Runs), func(r adminapi.ReconcileRun) bool { return r.Status != domain.SyncFailed })
		if len(failed) == 0 {
			return nil
		}
		ids := make([]string, len(failed))
		for i, r := range failed {
			ids[i] = r.IntegrationID
		}
		return fmt.Errorf("%d of %d reconciliations failed: %s", len(failed), len(v.Runs), strings.Join(ids, ", "))
	}
	return cmd
}
