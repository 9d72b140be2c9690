package offers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/tune"
)

// fallbackCurrency is used when neither TUNE nor the integration names a currency.
const fallbackCurrency = "USD"

// mapOffer maps a TUNE offer to the offer record of an integration. link is
// TUNE's tracking link for the integration's account ("" when there is none
// yet). The record's ImportedAt, UpdatedAt and Fingerprint are left to the caller.
func mapOffer(in trackly.Integration, o tune.Offer, link string) trackly.Offer {
	currency := o.Currency
	if currency == "" {
		currency = in.DefaultCurrency
	}
	if currency == "" {
		currency = fallbackCurrency
	}
	rec := trackly.Offer{
		IntegrationID:    in.IntegrationID,
		OfferID:          o.ID,
		Name:             strings.TrimSpace(o.Name),
		TUNETrackingLink: link,
		TrackingLinkFor:  linkOwner(in),
		PreviewURL:       o.PreviewURL,
		DefaultPayout:    money.FromDecimal(o.DefaultPayout).Round(),
		PayoutType:       o.PayoutType,
		Currency:         currency,
		Status:           o.Status,
		AdvertiserName:   o.AdvertiserName,
		ExpirationDate:   o.ExpirationDate,
		SessionHours:     o.SessionHours,
	}
	if !o.PercentPayout.IsZero() {
		p := money.FromDecimal(o.PercentPayout)
		rec.PercentPayout = &p
	}
	if link != "" {
		if u, err := TrackingURL(link, in.ClickParam); err == nil {
			rec.TrackingURL = u
		}
	}
	return rec
}

// linkOwner names the account an integration's tracking links are for.
func linkOwner(in trackly.Integration) string {
	if in.KeyKind == tune.KeyKindNetwork {
		return tune.KeyKindNetwork + ":" + in.AffiliateID
	}
	return in.KeyKind
}

// TrackingURL returns TUNE's tracking link with the click id placeholder
// {click_id} as the value of clickParam (default aff_sub): an existing value
// of that parameter is replaced, every other parameter is kept byte for
// byte. The placeholder is written literally, not URL-encoded, so that
// ClickFunction finds and replaces it.
func TrackingURL(link, clickParam string) (string, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("tracking link %q is not an absolute http(s) URL", link)
	}
	if clickParam == "" {
		clickParam = trackly.DefaultClickParam
	}
	base, fragment, _ := strings.Cut(link, "#")
	path, query, _ := strings.Cut(base, "?")
	var parts []string
	for _, part := range strings.Split(query, "&") {
		if part == "" {
			continue
		}
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && n == clickParam {
			continue
		}
		parts = append(parts, part)
	}
	parts = append(parts, url.QueryEscape(clickParam)+"="+trackly.ClickIDPlaceholder)
	out := path + "?" + strings.Join(parts, "&")
	if fragment != "" {
		out += "#" + fragment
	}
	return out, nil
}

// fingerprintVersion changes whenever the fingerprinted fields change, so
// that every offer is written once with the new mapping.
const fingerprintVersion = "v1"

// fingerprint hashes the mapped fields of an offer: two offers with the same
// fingerprint store the same data, and a sync writes an offer only when its
// fingerprint changes.
func fingerprint(o trackly.Offer) string {
	percent := ""
	if o.PercentPayout != nil {
		percent = o.PercentPayout.String()
	}
	expiration := ""
	if !o.ExpirationDate.IsZero() {
		expiration = o.ExpirationDate.UTC().Format(time.RFC3339)
	}
	fields := []string{
		fingerprintVersion, o.IntegrationID, o.OfferID, o.Name, o.TrackingURL, o.TUNETrackingLink, o.TrackingLinkFor, o.PreviewURL,
		o.DefaultPayout.String(), percent, o.PayoutType, o.Currency, o.Status, o.AdvertiserName,
		expiration, strconv.Itoa(o.SessionHours), strconv.FormatBool(o.Removed),
	}
	h := sha256.New()
	for _, f := range fields {
		// Length-prefixed, so that no two field lists hash alike.
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// compareIDs orders offer ids as TUNE sorts them: numbers numerically, then
// other ids as strings.
func compareIDs(a, b string) int {
	na, nb := isDigits(a), isDigits(b)
	switch {
	case na && nb:
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	case na:
		return -1
	case nb:
		return 1
	default:
		return strings.Compare(a, b)
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
