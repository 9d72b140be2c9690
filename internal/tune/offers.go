package tune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Offer is a TUNE offer, its loosely typed values made exact.
type Offer struct {
	ID          string
	Name        string
	Description string
	// PreviewURL is the advertiser's landing page, for people to look at;
	// it is not a tracking link.
	PreviewURL string
	OfferURL   string
	// Currency is an ISO code, or "" for the network's default currency.
	Currency string
	// PayoutType is cpa_flat, cpa_percentage, cpa_both, cpc or cpm.
	PayoutType string
	// Status is active, paused, pending or deleted.
	Status       string
	AdvertiserID string
	// AdvertiserName is the advertiser's company, when the answer includes it.
	AdvertiserName string
	// TrackingURL is the offer's tracking link when the answer includes it
	// (affiliate keys); otherwise use Client.TrackingLink.
	TrackingURL     string
	DefaultPayout   decimal.Decimal
	MaxPayout       decimal.Decimal
	PercentPayout   decimal.Decimal
	IsExpired       bool
	RequireApproval bool
	// ExpirationDate and Modified are zero when TUNE has none. Dates TUNE
	// sends without a zone are read as UTC.
	ExpirationDate time.Time
	Modified       time.Time
	// SessionHours is how long TUNE keeps a click's session open for a
	// conversion (and its postback).
	SessionHours int
}

// OfferQuery selects offers. Empty fields do not filter.
type OfferQuery struct {
	// Statuses keeps offers with any of these statuses.
	Statuses []string
	// NameContains keeps offers whose name contains this text (a LIKE
	// pattern: % and _ in it act as wildcards).
	NameContains string
	// IDs keeps offers with any of these ids.
	IDs []string
	// Page is the 1-based page to return; 0 means 1.
	Page int
	// Limit is the number of offers per page. 0 asks for all matching
	// offers in one answer.
	Limit int
}

// OfferPage is one page of offers, sorted by numeric id.
type OfferPage struct {
	Offers    []Offer
	Page      int
	PageCount int
	// Count is the number of matching offers on all pages.
	Count int
}

// ConnectionInfo is what a successful TestConnection learnt.
type ConnectionInfo struct {
	KeyKind   string
	NetworkID string
	// OfferCount is the number of offers the key can see.
	OfferCount int
}

// ErrAffiliateIDRequired reports a tracking link requested with a network
// key but without Config.AffiliateID.
var ErrAffiliateIDRequired = errors.New("tune: a network key needs Config.AffiliateID to generate tracking links")

// maxSubIDLength is the longest value TUNE accepts for a sub id.
const maxSubIDLength = 500

var paramName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_]+$`) })

// offerTarget is the controller for offers of the client's key kind.
func (c *Client) offerTarget() string {
	if c.s.keyKind == KeyKindNetwork {
		return "Offer"
	}
	return "Affiliate_Offer"
}

// findAllOffers calls findAll on the offers of the client's key kind and
// decodes the listing it answers.
func (c *Client) findAllOffers(ctx context.Context, params url.Values) (listing, error) {
	target := c.offerTarget()
	data, err := c.call(ctx, target, "findAll", params)
	if err != nil {
		return listing{}, err
	}
	l, err := decodeListing(data)
	if err != nil {
		return listing{}, c.fail(Other, target+"::findAll", "unexpected data: %v", err)
	}
	return l, nil
}

// TestConnection checks the network id and key with one read-only call and
// counts the offers the key can see.
func (c *Client) TestConnection(ctx context.Context) (ConnectionInfo, error) {
	l, err := c.findAllOffers(ctx, url.Values{"limit": {"1"}, "fields[]": {"id"}})
	if err != nil {
		return ConnectionInfo{}, err
	}
	info := ConnectionInfo{KeyKind: c.s.keyKind, NetworkID: c.s.networkID, OfferCount: len(l.offers)}
	if l.paged {
		info.OfferCount = int(l.page.Count)
	}
	return info, nil
}

// FindOffers returns one page of the offers q selects, with their
// advertiser's name (network keys) or tracking link (affiliate keys).
func (c *Client) FindOffers(ctx context.Context, q OfferQuery) (OfferPage, error) {
	if q.Limit < 0 || q.Page < 0 {
		return OfferPage{}, fmt.Errorf("tune: FindOffers: negative limit or page")
	}
	params := url.Values{"sort[id]": {"asc"}}
	for _, s := range q.Statuses {
		params.Add("filters[status][]", s)
	}
	if q.NameContains != "" {
		params.Set("filters[name][LIKE]", "%"+q.NameContains+"%")
	}
	for _, id := range q.IDs {
		if !digits().MatchString(id) {
			return OfferPage{}, fmt.Errorf("tune: FindOffers: offer id %q is not a number", id)
		}
		params.Add("filters[id][]", id)
	}
	pageNo := max(q.Page, 1)
	if q.Limit > 0 {
		params.Set("limit", strconv.Itoa(q.Limit))
		params.Set("page", strconv.Itoa(pageNo))
	}
	if c.s.keyKind == KeyKindNetwork {
		params.Add("contain[]", "Advertiser")
	} else {
		params.Add("contain[]", "TrackingLink")
	}
	l, err := c.findAllOffers(ctx, params)
	if err != nil {
		return OfferPage{}, err
	}
	p := OfferPage{Offers: l.offers, Page: pageNo, Count: len(l.offers)}
	if len(l.offers) > 0 {
		p.PageCount = 1
	}
	if l.paged {
		p.Count = int(l.page.Count)
		p.PageCount = int(l.page.PageCount)
		if l.page.Page > 0 {
			p.Page = int(l.page.Page)
		}
		if p.PageCount == 0 && p.Count > 0 && q.Limit > 0 {
			p.PageCount = (p.Count + q.Limit - 1) / q.Limit
		}
	}
	return p, nil
}

// TrackingLink generates the tracking link of an offer, for
// Config.AffiliateID with a network key, or for the key's own affiliate.
// Each of params is appended to the link as &name=value (sub ids such as
// aff_sub; values of at most 500 characters).
func (c *Client) TrackingLink(ctx context.Context, offerID string, params map[string]string) (string, error) {
	if !digits().MatchString(offerID) {
		return "", fmt.Errorf("tune: TrackingLink: offer id %q is not a number", offerID)
	}
	q := url.Values{"offer_id": {offerID}}
	if c.s.keyKind == KeyKindNetwork {
		if c.s.affiliateID == "" {
			return "", ErrAffiliateIDRequired
		}
		q.Set("affiliate_id", c.s.affiliateID)
	}
	for name, value := range params {
		if !paramName().MatchString(name) {
			return "", fmt.Errorf("tune: TrackingLink: parameter name %q is not letters, digits and underscores", name)
		}
		if len(value) > maxSubIDLength {
			return "", fmt.Errorf("tune: TrackingLink: parameter %s is longer than %d characters", name, maxSubIDLength)
		}
		q.Set("params["+name+"]", value)
	}
	target := c.offerTarget()
	op := target + "::generateTrackingLink"
	data, err := c.call(ctx, target, "generateTrackingLink", q)
	if err != nil {
		return "", err
	}
	var link optional[trackingLinkModel]
	if err := json.Unmarshal(data, &link); err != nil {
		return "", c.fail(Other, op, "unexpected data: %v", err)
	}
	click := string(link.Value.ClickURL)
	if u, err := url.Parse(click); click == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", c.fail(Other, op, "the answer has no usable click_url")
	}
	return click, nil
}
