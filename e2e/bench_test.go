package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
)

// BenchmarkPostbackToReport measures the whole path of a conversion on the
// local cloud: b.N postbacks sent over HTTP by 8 concurrent senders, each
// queued, attributed and counted, until the report shows all of them. It
// reports accepted postbacks per second and the time until the last one was
// in the report.
func BenchmarkPostbackToReport(b *testing.B) {
	s := localruntest.Start(b, localrun.Options{})
	click := s.ClickID(b, s.Demo.LinkURL)
	token := s.PostbackToken(b)
	before := s.Report(b, "message", "sms-demo-1").Total.Conversions

	var next, failed atomic.Int64
	start := time.Now()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				q := url.Values{"click_id": {click}, "payout": {"0.01"}, "conversion_id": {fmt.Sprintf("bench-%d", i)}, "token": {token}}
				res, err := s.HTTP.Get(s.Cloud.HTTPURL() + "/api/postbacks/tune?" + q.Encode())
				if err != nil || res.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				if res != nil {
					res.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	accepted := time.Since(start)
	deadline := time.Now().Add(5 * time.Minute)
	for s.Report(b, "message", "sms-demo-1").Total.Conversions < before+int64(b.N)-failed.Load() {
		if time.Now().After(deadline) {
			b.Fatal("conversions did not all reach the report")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d postbacks failed", failed.Load())
	}
	b.ReportMetric(float64(b.N)/accepted.Seconds(), "accepted/s")
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-report")
}
