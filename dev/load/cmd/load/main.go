// Command load runs the load test of package load (`make load`): taps and TUNE postbacks against
// the whole local system with an exact ground truth, in up to three runs, each on a system of its
// own: "clean" (DynamoDB's contention rules only), "faults" (DynamoDB requests failing, some after
// they were applied) and "sqs" (SQS unreachable for a while). It prints expected against got for
// every figure and exits 1 if any differs, 2 if a run could not take place.
//
//	go run ./dev/load/cmd/load [-runs clean,faults,sqs] [-postbacks 10000] [-taps 4000] [-senders 16]
//	    [-faults 0.2] [-lost 0.05] [-sqs-down 10s] [-seed 1] [-no-contention] [-log warn]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/trackly/tune-integration/dev/load"
)

// runs are the runs -runs may name, in the order they run.
var runs = []string{"clean", "faults", "sqs"}

func main() {
	os.Exit(run())
}

func run() int {
	var (
		names        = flag.String("runs", strings.Join(runs, ","), "the runs, comma-separated: clean, faults, sqs")
		postbacks    = flag.Int("postbacks", 10_000, "postbacks per run, refused ones and duplicates included")
		taps         = flag.Int("taps", 0, "taps per run (default two fifths of -postbacks)")
		senders      = flag.Int("senders", 16, "postbacks (and first taps) in flight at once; a quarter as many taps beside the postbacks")
		faults       = flag.Float64("faults", 0.2, "the faults run: share of DynamoDB requests that fail")
		lost         = flag.Float64("lost", 0.05, "the faults run: share of DynamoDB writes applied whose answer is lost")
		sqsDown      = flag.Duration("sqs-down", 10*time.Second, "the sqs run: how long SQS is unreachable")
		seed         = flag.Uint64("seed", 1, "seed of the workload and the faults")
		noContention = flag.Bool("no-contention", false, "turn off DynamoDB's rules for concurrent writers")
		visibility   = flag.Duration("visibility", 0, "the queues' visibility timeout (default the attribution function's timeout, the least AWS accepts; a shorter one lowers the timeouts of the functions that poll a queue to it)")
		settle       = flag.Duration("settle", 10*time.Minute, "the longest wait for the pipeline to be quiet")
		logLevel     = flag.String("log", "off", "the local system's logs on stderr (with the functions' own and the SDK's): off, error, warn, info")
	)
	flag.Parse()
	chosen := strings.Split(*names, ",")
	for _, name := range chosen {
		if !slices.Contains(runs, name) {
			fmt.Fprintf(os.Stderr, "load: -runs: %q is not a run; the runs are %s\n", name, strings.Join(runs, ", "))
			return 2
		}
	}
	logger, err := newLogger(*logLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: -log:", err)
		return 2
	}
	// The functions log to os.Stdout as on Lambda (lambdacontext) and the AWS SDK warns on os.Stderr,
	// both taken when the system starts: the figures keep stdout and the progress stderr to themselves.
	out, progress := os.Stdout, os.Stderr
	sink := os.Stderr
	if *logLevel == "off" {
		devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			fmt.Fprintln(progress, "load:", err)
			return 2
		}
		defer devNull.Close()
		sink = devNull
	}
	os.Stdout, os.Stderr = sink, sink
	defer func() { os.Stdout, os.Stderr = out, progress }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	began := time.Now()
	var summary []string
	code := 0
	for _, name := range runs {
		if !slices.Contains(chosen, name) {
			continue
		}
		opts := load.Options{
			Name: name, Postbacks: *postbacks, Taps: *taps, Senders: *senders, Seed: *seed,
			NoContention: *noContention, VisibilityTimeout: *visibility, SettleTimeout: *settle,
			Logger: logger, Progress: progress,
		}
		switch name {
		case "faults":
			opts.FailureRate, opts.LostAnswerRate = *faults, *lost
		case "sqs":
			opts.SQSDown = *sqsDown
		}
		res, err := load.Run(ctx, opts)
		if err != nil {
			fmt.Fprintln(progress, err)
			summary = append(summary, fmt.Sprintf("%s: did not complete: %v", name, err))
			code = 2
			break
		}
		res.Print(out)
		if d := res.Differences(); d > 0 {
			summary = append(summary, fmt.Sprintf("%s: %d figures differ", name, d))
			code = max(code, 1)
		} else {
			summary = append(summary, name+": exact")
		}
	}
	fmt.Fprintf(out, "\nload: %s (%s)\n", strings.Join(summary, "; "), time.Since(began).Round(time.Second))
	return code
}

// newLogger returns the logger of the local system: none, or text on stderr from level up.
func newLogger(level string) (*slog.Logger, error) {
	if level == "off" {
		return slog.New(slog.DiscardHandler), nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, err
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
