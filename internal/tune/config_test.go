package tune_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trackly/tune-integration/internal/tune"
)

func TestNewClientValidates(t *testing.T) {
	valid := tune.Config{NetworkID: "demo", KeyKind: "network", APIKey: networkToken}
	tests := []struct {
		name  string
		edit  func(*tune.Config)
		field string // "" for a valid config
	}{
		{"valid", func(*tune.Config) {}, ""},
		{"affiliate kind, any case", func(c *tune.Config) { c.KeyKind = " Affiliate " }, ""},
		{"simulator base URL over http", func(c *tune.Config) { c.BaseURL = "http://127.0.0.1:4567/Apiv3/json" }, ""},
		{"no network id", func(c *tune.Config) { c.NetworkID = "" }, "NetworkID"},
		{"network id with a dot", func(c *tune.Config) { c.NetworkID = "demo.api" }, "NetworkID"},
		{"no key kind", func(c *tune.Config) { c.KeyKind = "" }, "KeyKind"},
		{"unknown key kind", func(c *tune.Config) { c.KeyKind = "advertiser" }, "KeyKind"},
		{"no key", func(c *tune.Config) { c.APIKey = "  " }, "APIKey"},
		{"key with a space", func(c *tune.Config) { c.APIKey = "NET abc" }, "APIKey"},
		{"API domain with a scheme", func(c *tune.Config) { c.APIDomain = "https://api.hasoffers.com" }, "APIDomain"},
		{"base URL without scheme", func(c *tune.Config) { c.BaseURL = "127.0.0.1:4567/Apiv3/json" }, "BaseURL"},
		{"base URL over ftp", func(c *tune.Config) { c.BaseURL = "ftp://example.com/Apiv3/json" }, "BaseURL"},
		{"affiliate id not numeric", func(c *tune.Config) { c.AffiliateID = "abc" }, "AffiliateID"},
		{"negative rate limit", func(c *tune.Config) { c.RateLimit = -1 }, "RateLimit"},
		{"negative window", func(c *tune.Config) { c.RateWindow = -1 }, "RateWindow"},
		{"negative timeout", func(c *tune.Config) { c.Timeout = -1 }, "Timeout"},
		{"clock without sleep", func(c *tune.Config) { c.Clock = time.Now }, "Clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			_, err := tune.NewClient(cfg)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewClient accepted a config with a bad %s", tt.field)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name %s", err, tt.field)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

// recorder is a transport that records requests and answers an empty page.
type recorder struct{ requests []*http.Request }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.requests = append(r.requests, req)
	body := `{"request":{},"response":{"status":1,"httpStatus":200,"data":{"page":1,"current":0,"count":0,"pageCount":0,"data":[]},"errors":[],"errorMessage":null}}`
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func TestRequests(t *testing.T) {
	tests := []struct {
		name     string
		cfg      tune.Config
		wantURL  string
		keyParam string
		target   string
		contain  string
	}{
		{
			name:     "network key on the network's host",
			cfg:      tune.Config{NetworkID: "demo", KeyKind: "network", APIKey: networkToken},
			wantURL:  "https://demo.api.hasoffers.com/Apiv3/json",
			keyParam: "NetworkToken", target: "Offer", contain: "Advertiser",
		},
		{
			name:     "affiliate key on another API domain",
			cfg:      tune.Config{NetworkID: "acme", APIDomain: "api.example.net", KeyKind: "affiliate", APIKey: affiliateKey},
			wantURL:  "https://acme.api.example.net/Apiv3/json",
			keyParam: "api_key", target: "Affiliate_Offer", contain: "TrackingLink",
		},
		{
			name:     "base URL",
			cfg:      tune.Config{NetworkID: "demo", BaseURL: "http://127.0.0.1:4567/Apiv3/json", KeyKind: "network", APIKey: networkToken},
			wantURL:  "http://127.0.0.1:4567/Apiv3/json",
			keyParam: "NetworkToken", target: "Offer", contain: "Advertiser",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			tt.cfg.HTTPClient = &http.Client{Transport: rec}
			c, err := tune.NewClient(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.FindOffers(t.Context(), tune.OfferQuery{
				Statuses: []string{"active", "paused"}, NameContains: "Acme", IDs: []string{"3", "17"}, Page: 2, Limit: 10,
			})
			if err != nil {
				t.Fatal(err)
			}
			req := rec.requests[0]
			if got := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path; got != tt.wantURL {
				t.Errorf("endpoint %s, want %s", got, tt.wantURL)
			}
			want := url.Values{
				"NetworkId": {tt.cfg.NetworkID}, tt.keyParam: {tt.cfg.APIKey},
				"Target": {tt.target}, "Method": {"findAll"},
				"filters[status][]": {"active", "paused"}, "filters[name][LIKE]": {"%Acme%"},
				"filters[id][]": {"3", "17"}, "sort[id]": {"asc"}, "limit": {"10"}, "page": {"2"},
				"contain[]": {tt.contain},
			}
			if got := req.URL.Query(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("parameters\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestConfigAndClientHideKey(t *testing.T) {
	cfg := tune.Config{NetworkID: "demo", KeyKind: "network", APIKey: networkToken}
	c, err := tune.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg),
		fmt.Sprintf("%v %+v %s", c, c, c),
		fmt.Sprintf("%v", []any{cfg, &cfg}),
	} {
		assertNoSecret(t, s)
	}
}
