package tunesim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// keyed is an id-keyed JSON object that keeps its order, as PHP's arrays do.
type keyed []keyedRecord

type keyedRecord struct {
	id     int
	record map[string]any
}

func (k keyed) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, r := range k {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strconv.Itoa(r.id) + `":`)
		v, err := json.Marshal(r.record)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// visible reports whether a key kind can see an offer.
func visible(kind string, o *Offer) bool {
	return kind == "network" || o.Status == "active"
}

// record renders an offer with the models contain[] asks for.
func (s *Simulator) record(kind string, o *Offer, form url.Values, modifiedAsUnix bool) map[string]any {
	r := map[string]any{"Offer": o.model(modifiedAsUnix, form["fields[]"])}
	for _, c := range form["contain[]"] {
		switch c {
		case "Advertiser":
			r["Advertiser"] = o.advertiser()
		case "TrackingLink":
			if kind == "affiliate" {
				r["TrackingLink"] = map[string]any{
					"click_url":        s.trackingLink(o.ID, s.opts.AffiliateID, nil),
					"impression_pixel": s.impressionPixel(o.ID, s.opts.AffiliateID),
				}
			}
		}
	}
	return r
}

// findAll answers Offer::findAll and Affiliate_Offer::findAll: filtered,
// sorted, and paged when a limit is given. Without a limit all matching
// records come as an id-keyed object; no record at all is an empty array.
func (s *Simulator) findAll(kind string, form url.Values) answer {
	match := parseFilters(form)
	var offers []*Offer
	for _, o := range s.offers {
		if visible(kind, o) && match(o) {
			offers = append(offers, o)
		}
	}
	sortOffers(offers, form)

	limit, _ := strconv.Atoi(form.Get("limit"))
	if limit <= 0 {
		return success(form, s.records(kind, offers, form))
	}
	pageNo, _ := strconv.Atoi(form.Get("page"))
	pageNo = max(pageNo, 1)
	count := len(offers)
	pageCount := (count + limit - 1) / limit
	start := min((pageNo-1)*limit, count)
	onPage := offers[start:min(start+limit, count)]
	return success(form, map[string]any{
		"page":      pageNo,
		"current":   len(onPage),
		"count":     count,
		"pageCount": pageCount,
		"data":      s.records(kind, onPage, form),
	})
}

// records renders offers as an id-keyed object, or [] for none.
func (s *Simulator) records(kind string, offers []*Offer, form url.Values) any {
	if len(offers) == 0 {
		return []any{}
	}
	k := make(keyed, len(offers))
	for i, o := range offers {
		k[i] = keyedRecord{id: o.ID, record: s.record(kind, o, form, true)}
	}
	return k
}

// findByID answers Offer::findById: the record, or data null when there is
// no such offer.
func (s *Simulator) findByID(kind string, form url.Values) answer {
	id, _ := strconv.Atoi(form.Get("id"))
	o, ok := s.offers[id]
	if !ok || !visible(kind, o) {
		return success(form, nil)
	}
	return success(form, s.record(kind, o, form, false))
}

// generateTrackingLink answers Offer::generateTrackingLink and
// Affiliate_Offer::generateTrackingLink. TUNE sends offer_id as a number
// and affiliate_id as a string.
func (s *Simulator) generateTrackingLink(kind string, form url.Values) (answer, bool) {
	raw := form.Get("offer_id")
	if raw == "" {
		return failure(form, apiError{ErrMsg: "Offer ID is required", AttributeName: "offer_id"}), false
	}
	id, err := strconv.Atoi(raw)
	o, ok := s.offers[id]
	if err != nil || !ok || !visible(kind, o) {
		return failure(form, apiError{PublicMessage: "Offer ID " + raw + " does not exist", AttributeName: "offer_id"}), false
	}
	affiliateID := s.opts.AffiliateID
	if kind == "network" {
		affiliateID = form.Get("affiliate_id")
		if affiliateID == "" {
			return failure(form, apiError{ErrMsg: "Affiliate ID is required", AttributeName: "affiliate_id"}), false
		}
	}
	params := map[string]string{}
	for k, v := range form {
		if name, ok := strings.CutPrefix(k, "params["); ok && strings.HasSuffix(name, "]") && len(v) > 0 {
			params[strings.TrimSuffix(name, "]")] = v[0]
		}
	}
	return success(form, map[string]any{
		"click_url":        s.trackingLink(o.ID, affiliateID, params),
		"impression_pixel": s.impressionPixel(o.ID, affiliateID),
		"offer_id":         o.ID,
		"affiliate_id":     affiliateID,
	}), true
}

// parseFilters reads filters[status] (one value, a list with [], or
// [NOT_EQUAL_TO]), filters[name] (exact or [LIKE]) and filters[id] (one
// value or a list).
func parseFilters(form url.Values) func(*Offer) bool {
	statuses := slices.Concat(form["filters[status]"], form["filters[status][]"])
	notStatus := form["filters[status][NOT_EQUAL_TO]"]
	ids := slices.Concat(form["filters[id]"], form["filters[id][]"])
	names := form["filters[name]"]
	var like *regexp.Regexp
	if p := form.Get("filters[name][LIKE]"); p != "" {
		like = likePattern(p)
	}
	return func(o *Offer) bool {
		switch {
		case len(statuses) > 0 && !slices.Contains(statuses, o.Status):
			return false
		case slices.Contains(notStatus, o.Status):
			return false
		case len(ids) > 0 && !slices.Contains(ids, strconv.Itoa(o.ID)):
			return false
		case len(names) > 0 && !slices.Contains(names, o.Name):
			return false
		case like != nil && !like.MatchString(o.Name):
			return false
		}
		return true
	}
}

// likePattern turns an SQL LIKE pattern into a case-insensitive regexp.
func likePattern(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?is)^`)
	for _, r := range p {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// sortOffers applies sort[field]=asc|desc for id, name, status,
// default_payout, modified and expiration_date (in field-name order), then id.
func sortOffers(offers []*Offer, form url.Values) {
	type key struct {
		field string
		desc  bool
	}
	var keys []key
	for k, v := range form {
		if f, ok := strings.CutPrefix(k, "sort["); ok && strings.HasSuffix(f, "]") && len(v) > 0 {
			keys = append(keys, key{strings.TrimSuffix(f, "]"), strings.EqualFold(v[0], "desc")})
		}
	}
	slices.SortFunc(keys, func(a, b key) int { return strings.Compare(a.field, b.field) })
	slices.SortFunc(offers, func(a, b *Offer) int {
		for _, k := range keys {
			c := compareField(a, b, k.field)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

func compareField(a, b *Offer, field string) int {
	switch field {
	case "id":
		return cmp.Compare(a.ID, b.ID)
	case "name":
		return strings.Compare(a.Name, b.Name)
	case "status":
		return strings.Compare(a.Status, b.Status)
	case "default_payout":
		return a.DefaultPayout.Cmp(b.DefaultPayout)
	case "modified":
		return a.Modified.Compare(b.Modified)
	case "expiration_date":
		return a.ExpirationDate.Compare(b.ExpirationDate)
	}
	return 0
}
