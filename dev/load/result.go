package load

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trackly/tune-integration/dev/dynamodbrules"
)

// Result is what a run measured and how what the system shows compares with the ground truth.
type Result struct {
	Options Options
	// Rows are the figures compared; Notes give examples of what differs.
	Rows  []Row
	Notes []string
	// Setup, TapTime, SendTime and Settle are how long the system took to start and the account to
	// make, the first taps (before the postbacks), the postbacks, and the wait after them until the
	// comparison.
	Setup, TapTime, SendTime, Settle time.Duration
	// Taps is how many taps TapTime measures.
	Taps int
	// Attempts counts the postbacks' attempts by answer status (0: no answer came).
	Attempts map[int]int
	// Latency holds percentiles of the postbacks' answer times, every attempt included.
	Latency Latency
	// DynamoDB is what the contention rules and injected faults did.
	DynamoDB dynamodbrules.Stats
}

// Latency holds percentiles of answer times.
type Latency struct {
	P50, P95, P99, Max time.Duration
}

// Differences counts the figures that differ from the ground truth.
func (r *Result) Differences() int { return len(r.Differing()) }

// Differing returns the rows whose figure differs from the ground truth.
func (r *Result) Differing() []Row {
	var differing []Row
	for _, row := range r.Rows {
		if !row.OK {
			differing = append(differing, row)
		}
	}
	return differing
}

// Accepted is how many postbacks were answered 200.
func (r *Result) Accepted() int { return r.Attempts[http.StatusOK] }

// Print writes the run's figures and the comparison, a row per figure, differences marked.
func (r *Result) Print(w io.Writer) {
	o := r.Options
	attempts := 0
	for _, n := range r.Attempts {
		attempts += n
	}
	fmt.Fprintf(w, "\n=== %s: %d postbacks, %d taps, %d senders; DynamoDB: %s; SQS: %s\n",
		o.Name, o.Postbacks, o.Taps, o.Senders, r.dynamoDBConditions(), sqsCondition(o.SQSDown))
	fmt.Fprintf(w, "system started and account made in %s; first %d taps in %s: %s taps/s\n", r.Setup.Round(time.Millisecond), r.Taps,
		r.TapTime.Round(time.Millisecond), perSecond(r.Taps, r.TapTime))
	fmt.Fprintf(w, "postbacks in %s: %d attempts (%s), %s accepted/s; answer time p50 %s, p95 %s, p99 %s, max %s\n",
		r.SendTime.Round(time.Millisecond), attempts, r.attemptsByStatus(), perSecond(r.Accepted(), r.SendTime),
		r.Latency.P50.Round(time.Millisecond/10), r.Latency.P95.Round(time.Millisecond/10),
		r.Latency.P99.Round(time.Millisecond/10), r.Latency.Max.Round(time.Millisecond/10))
	s := r.DynamoDB
	fmt.Fprintf(w, "compared %s after the last postback; DynamoDB requests %d: %d transaction conflicts, %d throttled, %d injected failures, %d answers lost\n\n",
		r.Settle.Round(time.Second), s.Requests, s.Conflicts, s.Throttled, s.Failures, s.LostAnswers)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTION\tLINE\tFIGURE\tEXPECTED\tGOT\t")
	prev := Row{}
	for _, row := range r.Rows {
		section, line := row.Section, row.Line
		if section == prev.Section {
			section = ""
			if line == prev.Line {
				line = ""
			}
		}
		mark := ""
		if !row.OK {
			mark = "<- differs"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", section, line, row.Metric, row.Expected, row.Got, mark)
		prev = row
	}
	tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintln(w, "  "+n)
	}
	if d := r.Differences(); d > 0 {
		fmt.Fprintf(w, "=== %s: %d figures differ from the ground truth\n", o.Name, d)
	} else {
		fmt.Fprintf(w, "=== %s: exact: every figure is the ground truth's\n", o.Name)
	}
}

func (r *Result) dynamoDBConditions() string {
	o := r.Options
	rules := "contention rules"
	if o.NoContention {
		rules = "no contention rules"
	}
	if o.FailureRate == 0 && o.LostAnswerRate == 0 {
		return rules + ", no faults"
	}
	return fmt.Sprintf("%s, %g%% of requests failed, %g%% of writes applied with their answer lost", rules, 100*o.FailureRate, 100*o.LostAnswerRate)
}

func sqsCondition(down time.Duration) string {
	if down <= 0 {
		return "reachable"
	}
	return fmt.Sprintf("unreachable for %s a third of the way", down)
}

func (r *Result) attemptsByStatus() string {
	var parts []string
	for _, status := range slices.Sorted(maps.Keys(r.Attempts)) {
		name := fmt.Sprint(status)
		if status == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, r.Attempts[status]))
	}
	return strings.Join(parts, ", ")
}

func perSecond(n int, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(n)/d.Seconds())
}

// latency returns percentiles of durations.
func latency(durations []time.Duration) Latency {
	if len(durations) == 0 {
		return Latency{}
	}
	slices.Sort(durations)
	at := func(p float64) time.Duration {
		return durations[min(len(durations)-1, int(p*float64(len(durations))))]
	}
	return Latency{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: durations[len(durations)-1]}
}
