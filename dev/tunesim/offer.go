package tunesim

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Offer is an offer of the simulated network.
type Offer struct {
	ID          int
	Name        string
	Description string
	PreviewURL  string
	OfferURL    string
	// Currency is sent as null when empty (the network's default currency).
	Currency      string
	DefaultPayout decimal.Decimal
	MaxPayout     decimal.Decimal
	// PercentPayout is sent as null when zero.
	PercentPayout decimal.Decimal
	// PayoutType is cpa_flat, cpa_percentage, cpa_both, cpc or cpm.
	PayoutType string
	// Status is active, paused, pending or deleted. Affiliate keys see
	// active offers only.
	Status string
	// AdvertiserID 0 means no advertiser; AdvertiserName is its company.
	AdvertiserID    int
	AdvertiserName  string
	IsExpired       bool
	RequireApproval bool
	// ExpirationDate is sent as "0000-00-00 00:00:00" when zero.
	ExpirationDate time.Time
	// Modified is sent as unix seconds by findAll and as a date by findById.
	Modified     time.Time
	SessionHours int
}

// generatedBase is the date generated offers are modified on, so that the
// same options always generate the same offers.
var generatedBase = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

var (
	brands      = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Soylent", "Tyrell", "Cyberdyne"}
	products    = []string{"Energy Drink", "VPN", "Meal Kit", "Sweepstakes", "Dating App", "Credit Card", "Insurance Quote", "Mobile Game", "Streaming Trial"}
	geos        = []string{"US", "UK", "DE", "FR", "BR", "MX", "IN", "AU"}
	payoutTypes = []string{"cpa_flat", "cpa_flat", "cpa_percentage", "cpa_both", "cpc", "cpm"}
	sessions    = []int{24, 72, 168, 720}
)

// generateOffer makes offer i deterministically, with every quirk
// represented: all statuses, null currencies, offers without advertiser or
// expiration date, and payouts of every type.
func generateOffer(i int) *Offer {
	o := &Offer{
		ID:              i,
		Name:            fmt.Sprintf("%s %s %s #%d", brands[i%len(brands)], products[i%len(products)], geos[i%len(geos)], i),
		Description:     fmt.Sprintf("Promote %s to adults in %s. No incentivised traffic.", products[i%len(products)], geos[i%len(geos)]),
		PreviewURL:      fmt.Sprintf("https://www.example.com/landing/%d", i),
		OfferURL:        fmt.Sprintf("https://www.example.com/landing/%d?tid={transaction_id}&aff={affiliate_id}", i),
		PayoutType:      payoutTypes[i%len(payoutTypes)],
		DefaultPayout:   decimal.New(int64(100+(i*7919)%90000), -2),
		SessionHours:    sessions[i%len(sessions)],
		RequireApproval: i%4 == 0,
		Modified:        generatedBase.Add(time.Duration(i) * time.Minute),
	}
	switch i % 20 {
	case 14, 15, 16:
		o.Status = "paused"
	case 17, 18:
		o.Status = "pending"
	case 19:
		o.Status = "deleted"
	default:
		o.Status = "active"
	}
	switch i % 5 {
	case 0:
		o.Currency = ""
	case 1:
		o.Currency = "EUR"
	default:
		o.Currency = "USD"
	}
	switch o.PayoutType {
	case "cpa_percentage":
		o.DefaultPayout = decimal.Zero
		o.PercentPayout = decimal.New(int64(5+i%30), 0)
	case "cpa_both":
		o.PercentPayout = decimal.New(int64(5+i%30), 0)
		o.MaxPayout = o.DefaultPayout.Mul(decimal.New(2, 0))
	}
	if i%13 != 0 {
		o.AdvertiserID = 1 + i%40
		o.AdvertiserName = fmt.Sprintf("Advertiser %d Ltd", o.AdvertiserID)
	}
	switch {
	case i%97 == 0:
		o.ExpirationDate = generatedBase.AddDate(0, 0, -(i % 365)).Add(23*time.Hour + 59*time.Minute + 59*time.Second)
		o.IsExpired = true
	case i%3 != 0:
		o.ExpirationDate = generatedBase.AddDate(1, 0, i%365).Add(23*time.Hour + 59*time.Minute + 59*time.Second)
	}
	return o
}

// dateTime formats t as TUNE does, "0000-00-00 00:00:00" for none.
func dateTime(t time.Time) string {
	if t.IsZero() {
		return "0000-00-00 00:00:00"
	}
	return t.UTC().Format(time.DateTime)
}

func boolString(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// model renders the Offer model. findAll sends modified as unix seconds,
// findById as a date. fields, when not empty, limits the fields sent.
func (o *Offer) model(modifiedAsUnix bool, fields []string) map[string]any {
	var currency, percent any
	if o.Currency != "" {
		currency = o.Currency
	}
	if !o.PercentPayout.IsZero() {
		percent = o.PercentPayout.StringFixed(2)
	}
	var modified any = dateTime(o.Modified)
	if modifiedAsUnix {
		modified = o.Modified.Unix()
	}
	m := map[string]any{
		"id":               strconv.Itoa(o.ID),
		"name":             o.Name,
		"description":      o.Description,
		"preview_url":      o.PreviewURL,
		"offer_url":        o.OfferURL,
		"currency":         currency,
		"default_payout":   o.DefaultPayout.StringFixed(5),
		"max_payout":       o.MaxPayout.StringFixed(5),
		"percent_payout":   percent,
		"payout_type":      o.PayoutType,
		"status":           o.Status,
		"advertiser_id":    strconv.Itoa(o.AdvertiserID),
		"is_expired":       boolString(o.IsExpired),
		"require_approval": boolString(o.RequireApproval),
		"expiration_date":  dateTime(o.ExpirationDate),
		"modified":         modified,
		"session_hours":    strconv.Itoa(o.SessionHours),
	}
	if len(fields) > 0 {
		for k := range m {
			if !slices.Contains(fields, k) {
				delete(m, k)
			}
		}
	}
	return m
}

// advertiser renders the Advertiser model, or PHP's empty array when the
// offer has none.
func (o *Offer) advertiser() any {
	if o.AdvertiserID == 0 {
		return []any{}
	}
	return map[string]any{"id": strconv.Itoa(o.AdvertiserID), "company": o.AdvertiserName, "status": "active"}
}

// trackingLink is the offer's tracking link for an affiliate, with params
// appended as &name=value in name order.
func (s *Simulator) trackingLink(offerID int, affiliateID string, params map[string]string) string {
	link := "https://" + s.opts.TrackingDomain + "/aff_c?offer_id=" + strconv.Itoa(offerID) + "&aff_id=" + url.QueryEscape(affiliateID)
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		link += "&" + url.QueryEscape(name) + "=" + url.QueryEscape(params[name])
	}
	return link
}

// impressionPixel is the pixel TUNE returns beside a tracking link.
func (s *Simulator) impressionPixel(offerID int, affiliateID string) string {
	return `<img src="https://` + s.opts.TrackingDomain + "/aff_i?offer_id=" + strconv.Itoa(offerID) + "&aff_id=" +
		url.QueryEscape(affiliateID) + `" width="0" height="0" style="position:absolute;visibility:hidden;" border="0" />`
}
