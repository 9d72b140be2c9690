package offers_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/dev/tunesim"
	"github.com/trackly/tune-integration/internal/integrations"
	"github.com/trackly/tune-integration/internal/offers"
)

func TestTestConnectionNamesEachCause(t *testing.T) {
	w := getWorld(t)
	ctx := context.Background()
	n := newNetwork(t, tunesim.Options{Offers: 40, RateLimit: -1, SlowAnswer: 5 * time.Second})
	svc := w.service(offers.Options{TestTimeout: 300 * time.Millisecond})

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String() + "/Apiv3/json"
	closed.Close()

	tests := []struct {
		name     string
		kind     string
		settings func(*integrations.Settings)
		fail     tunesim.Failure
		cause    string
	}{
		{name: "unknown network id", kind: "network", settings: func(s *integrations.Settings) { s.NetworkID = ptr("nosuchnetwork") }, cause: "unknown_network"},
		{name: "key rejected", kind: "affiliate", settings: func(s *integrations.Settings) { s.APIKey = ptr("not-the-key-XYZ123") }, cause: "key_rejected"},
		{name: "key of the other kind", kind: "network", settings: func(s *integrations.Settings) { s.APIKey = ptr(affiliateKey) }, cause: "key_rejected"},
		{name: "API access not enabled", kind: "affiliate", fail: tunesim.FailAPIDisabled, cause: "permission_denied"},
		{name: "missing permission", kind: "network", fail: tunesim.FailPermissionDenied, cause: "permission_denied"},
		{name: "IP not whitelisted", kind: "network", fail: tunesim.FailIPRefused, cause: "ip_refused"},
		{name: "rate limited", kind: "affiliate", fail: tunesim.FailRateLimit, cause: "rate_limited"},
		{name: "unreachable", kind: "affiliate", settings: func(s *integrations.Settings) { s.APIBaseURL = &deadURL }, cause: "unreachable"},
		{name: "timed out", kind: "affiliate", fail: tunesim.FailSlow, cause: "timeout"},
		{name: "not TUNE's answer", kind: "affiliate", fail: tunesim.FailHTML, cause: "not_tune"},
		{name: "server error", kind: "network", fail: tunesim.FailServerError, cause: "server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := w.integration(t, n, tt.kind, tt.settings)
			if tt.fail != 0 {
				n.sim.FailNext(tt.fail, 1)
			}
			before := len(n.sim.Calls())
			res, err := svc.TestConnection(ctx, offers.ConnectionQuery{IntegrationID: id})
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || res.Cause != tt.cause || res.Message == "" || res.Hint == "" {
				t.Errorf("got %+v, want cause %s", res, tt.cause)
			}
			if tt.cause != "unreachable" {
				if calls := len(n.sim.Calls()) - before; calls != 1 {
					t.Errorf("%d calls, want exactly one", calls)
				}
			}
			b, _ := json.Marshal(res)
			for _, key := range []string{networkToken, affiliateKey, "not-the-key-XYZ123"} {
				if strings.Contains(string(b), key) {
					t.Errorf("answer shows the key: %s", b)
				}
			}
		})
	}

	t.Run("success", func(t *testing.T) {
		for kind, visible := range map[string]int{"network": 40, "affiliate": 28} { // affiliates see active offers
			id := w.integration(t, n, kind, nil)
			res, err := svc.TestConnection(ctx, offers.ConnectionQuery{IntegrationID: id})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK || res.KeyKind != kind || res.NetworkID != networkID || res.OfferCount == nil || *res.OfferCount != visible || res.Cause != "" {
				t.Errorf("%s: %+v", kind, res)
			}
		}
	})
	t.Run("unknown integration is bad input", func(t *testing.T) {
		if _, err := svc.TestConnection(ctx, offers.ConnectionQuery{IntegrationID: "in_nope"}); err == nil {
			t.Error("accepted")
		}
	})
}
