package tune

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// offerModel is TUNE's Offer model as it arrives.
type offerModel struct {
	ID              flexString  `json:"id"`
	Name            flexString  `json:"name"`
	Description     flexString  `json:"description"`
	PreviewURL      flexString  `json:"preview_url"`
	OfferURL        flexString  `json:"offer_url"`
	Currency        flexString  `json:"currency"`
	DefaultPayout   flexDecimal `json:"default_payout"`
	MaxPayout       flexDecimal `json:"max_payout"`
	PercentPayout   flexDecimal `json:"percent_payout"`
	PayoutType      flexString  `json:"payout_type"`
	Status          flexString  `json:"status"`
	AdvertiserID    flexString  `json:"advertiser_id"`
	IsExpired       flexBool    `json:"is_expired"`
	RequireApproval flexBool    `json:"require_approval"`
	ExpirationDate  flexTime    `json:"expiration_date"`
	Modified        flexTime    `json:"modified"`
	SessionHours    flexInt     `json:"session_hours"`
}

type advertiserModel struct {
	ID      flexString `json:"id"`
	Company flexString `json:"company"`
}

type trackingLinkModel struct {
	ClickURL flexString `json:"click_url"`
}

// record is one entry of a find answer: one object per model.
type record struct {
	Offer        optional[offerModel]        `json:"Offer"`
	Advertiser   optional[advertiserModel]   `json:"Advertiser"`
	TrackingLink optional[trackingLinkModel] `json:"TrackingLink"`
}

// page is the paging wrapper TUNE puts around records when a limit is given.
type page struct {
	Page      flexInt         `json:"page"`
	Count     flexInt         `json:"count"`
	PageCount flexInt         `json:"pageCount"`
	Data      json.RawMessage `json:"data"`
}

// listing is a decoded find answer.
type listing struct {
	offers []Offer
	paged  bool // the answer had a page wrapper
	page   page
}

// decodeListing decodes the data of a findAll answer in any of its shapes:
// a page wrapper around records, records keyed by id, a list of records, or
// nothing at all (null, "", [] or {}). Offers come back sorted by id.
func decodeListing(data json.RawMessage) (listing, error) {
	var l listing
	if isEmptyJSON(data) {
		return l, nil
	}
	data = bytes.TrimSpace(data)
	if data[0] == '{' {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(data, &members); err != nil {
			return l, err
		}
		if isPage(members) {
			if err := json.Unmarshal(data, &l.page); err != nil {
				return l, fmt.Errorf("page: %w", err)
			}
			l.paged = true
			offers, err := decodeRecords(l.page.Data)
			l.offers = offers
			return l, err
		}
	}
	offers, err := decodeRecords(data)
	l.offers = offers
	return l, err
}

// isPage tells a page wrapper from records keyed by id.
func isPage(members map[string]json.RawMessage) bool {
	if _, ok := members["data"]; !ok {
		return false
	}
	for _, k := range []string{"page", "pageCount", "count", "current"} {
		if _, ok := members[k]; ok {
			return true
		}
	}
	return false
}

// decodeRecords decodes records keyed by id, a list of records, or nothing.
func decodeRecords(data json.RawMessage) ([]Offer, error) {
	if isEmptyJSON(data) {
		return nil, nil
	}
	data = bytes.TrimSpace(data)
	var keyed map[string]json.RawMessage
	switch data[0] {
	case '{':
		if err := json.Unmarshal(data, &keyed); err != nil {
			return nil, err
		}
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, err
		}
		keyed = make(map[string]json.RawMessage, len(list))
		for i, raw := range list {
			keyed["#"+strconv.Itoa(i)] = raw
		}
	default:
		return nil, fmt.Errorf("records: expected an object or an array, got %.20s", data)
	}
	offers := make([]Offer, 0, len(keyed))
	for key, raw := range keyed {
		var r record
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("record %s: %w", key, err)
		}
		if !r.Offer.OK {
			return nil, fmt.Errorf("record %s has no Offer object", key)
		}
		o := r.offer()
		if o.ID == "" && !strings.HasPrefix(key, "#") {
			o.ID = key
		}
		if o.ID == "" {
			return nil, fmt.Errorf("record %s has no offer id", key)
		}
		offers = append(offers, o)
	}
	sortByID(offers)
	return offers, nil
}

// offer converts a record into an Offer.
func (r record) offer() Offer {
	m := r.Offer.Value
	o := Offer{
		ID:              strings.TrimSpace(string(m.ID)),
		Name:            string(m.Name),
		Description:     string(m.Description),
		PreviewURL:      string(m.PreviewURL),
		OfferURL:        string(m.OfferURL),
		Currency:        strings.ToUpper(strings.TrimSpace(string(m.Currency))),
		PayoutType:      string(m.PayoutType),
		Status:          strings.ToLower(string(m.Status)),
		AdvertiserID:    string(m.AdvertiserID),
		DefaultPayout:   m.DefaultPayout.Decimal,
		MaxPayout:       m.MaxPayout.Decimal,
		PercentPayout:   m.PercentPayout.Decimal,
		IsExpired:       bool(m.IsExpired),
		RequireApproval: bool(m.RequireApproval),
		ExpirationDate:  m.ExpirationDate.Time,
		Modified:        m.Modified.Time,
		SessionHours:    int(m.SessionHours),
	}
	if o.AdvertiserID == "0" {
		o.AdvertiserID = ""
	}
	if r.Advertiser.OK {
		o.AdvertiserName = string(r.Advertiser.Value.Company)
		if o.AdvertiserID == "" {
			o.AdvertiserID = string(r.Advertiser.Value.ID)
		}
	}
	if r.TrackingLink.OK {
		o.TrackingURL = string(r.TrackingLink.Value.ClickURL)
	}
	return o
}

// sortByID sorts offers by numeric id; ids that are not numbers come last,
// in string order.
func sortByID(offers []Offer) {
	slices.SortFunc(offers, func(a, b Offer) int {
		na, ea := strconv.ParseUint(a.ID, 10, 64)
		nb, eb := strconv.ParseUint(b.ID, 10, 64)
		switch {
		case ea == nil && eb == nil:
			return cmp.Compare(na, nb)
		case ea == nil:
			return -1
		case eb == nil:
			return 1
		default:
			return strings.Compare(a.ID, b.ID)
		}
	})
}
