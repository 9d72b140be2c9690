package tunesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// ControlHandler serves the simulator's conversion controls as JSON over
// HTTP, for demos:
//
//	POST /conversions              adds a conversion (a conversionInput), or
//	                               replaces the one with its event_id;
//	                               answers 201 {"event_id": "..."}
//	PATCH /conversions/{event_id}  changes any of status, status_code, payout
//	                               and currency ("" for null); answers 200
//	                               {"event_id": "..."}
//
// Bad input answers 400 {"error": "..."} naming each bad field, and an
// unknown event id 404.
func (s *Simulator) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /conversions", s.postConversion)
	mux.HandleFunc("PATCH /conversions/{event_id}", s.patchConversion)
	return mux
}

// conversionInput is the body of POST /conversions. Every field may be
// left out; AddConversion's defaults apply.
type conversionInput struct {
	EventID       string `json:"event_id"`
	TransactionID string `json:"transaction_id"`
	AffiliateID   string `json:"affiliate_id"`
	OfferID       string `json:"offer_id"`
	GoalID        string `json:"goal_id"`
	Status        string `json:"status"`
	StatusCode    int    `json:"status_code"`
	Payout        string `json:"payout"`
	SaleAmount    string `json:"sale_amount"`
	Currency      string `json:"currency"`
	// At is RFC 3339, or "YYYY-MM-DD HH:MM:SS" in the network's time zone.
	At           string `json:"at"`
	AffSub       string `json:"aff_sub"`
	AffSub2      string `json:"aff_sub2"`
	AffSub3      string `json:"aff_sub3"`
	AffSub4      string `json:"aff_sub4"`
	AffSub5      string `json:"aff_sub5"`
	AffClickID   string `json:"aff_click_id"`
	Source       string `json:"source"`
	IsAdjustment bool   `json:"is_adjustment"`
}

// conversionChange is the body of PATCH /conversions/{event_id}: the
// fields to change.
type conversionChange struct {
	Status     *string `json:"status"`
	StatusCode *int    `json:"status_code"`
	Payout     *string `json:"payout"`
	Currency   *string `json:"currency"`
}

var (
	signedDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	currencyCode  = regexp.MustCompile(`^[A-Z]{3}$`)
	numericID     = regexp.MustCompile(`^[0-9]*$`)
)

// fieldErrors collects what is wrong with a body, field by field.
type fieldErrors []string

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, field+": "+fmt.Sprintf(format, args...))
}

func (fe *fieldErrors) status(v string) {
	if v != "approved" && v != "pending" && v != "rejected" {
		fe.add("status", "%q is not approved, pending or rejected", v)
	}
}

func (fe *fieldErrors) statusCode(v int) {
	if v < 0 {
		fe.add("status_code", "%d is negative", v)
	}
}

func (fe *fieldErrors) amount(field, v string) {
	if !signedDecimal.MatchString(v) {
		fe.add(field, "%q is not a decimal number like 12.50", v)
	}
}

func (fe *fieldErrors) currency(v string) {
	if v != "" && !currencyCode.MatchString(v) {
		fe.add("currency", "%q is not a three-letter upper-case code like USD (or \"\" for the network's default)", v)
	}
}

func (fe *fieldErrors) err() error {
	if len(*fe) == 0 {
		return nil
	}
	return errors.New(strings.Join(*fe, "; "))
}

// conversion checks in and makes the Conversion it describes.
func (s *Simulator) conversion(in conversionInput) (Conversion, error) {
	var fe fieldErrors
	for _, id := range []struct{ field, v string }{
		{"affiliate_id", in.AffiliateID}, {"offer_id", in.OfferID}, {"goal_id", in.GoalID},
	} {
		if !numericID.MatchString(id.v) {
			fe.add(id.field, "%q is not a number", id.v)
		}
	}
	if in.Status != "" {
		fe.status(in.Status)
	}
	fe.statusCode(in.StatusCode)
	if in.Payout != "" {
		fe.amount("payout", in.Payout)
	}
	if in.SaleAmount != "" {
		fe.amount("sale_amount", in.SaleAmount)
	}
	fe.currency(in.Currency)
	var at time.Time
	if in.At != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, in.At); err != nil {
			if at, err = time.ParseInLocation(time.DateTime, in.At, s.opts.TimeZone); err != nil {
				fe.add("at", "%q is neither RFC 3339 nor \"YYYY-MM-DD HH:MM:SS\"", in.At)
			}
		}
	}
	return Conversion{
		EventID: in.EventID, TransactionID: in.TransactionID, AffiliateID: in.AffiliateID,
		OfferID: in.OfferID, GoalID: in.GoalID, Status: in.Status, StatusCode: in.StatusCode,
		Payout: in.Payout, SaleAmount: in.SaleAmount, Currency: in.Currency, At: at,
		Subs:    [5]string{in.AffSub, in.AffSub2, in.AffSub3, in.AffSub4, in.AffSub5},
		ClickID: in.AffClickID, Source: in.Source, IsAdjustment: in.IsAdjustment,
	}, fe.err()
}

func (s *Simulator) postConversion(w http.ResponseWriter, r *http.Request) {
	var in conversionInput
	if !decodeBody(w, r, &in) {
		return
	}
	c, err := s.conversion(in)
	if err != nil {
		writeAnswer(w, jsonAnswer(http.StatusBadRequest, map[string]string{"error": err.Error()}))
		return
	}
	writeAnswer(w, jsonAnswer(http.StatusCreated, map[string]string{"event_id": s.AddConversion(c)}))
}

func (s *Simulator) patchConversion(w http.ResponseWriter, r *http.Request) {
	var ch conversionChange
	if !decodeBody(w, r, &ch) {
		return
	}
	var fe fieldErrors
	switch {
	case ch.Status == nil && ch.StatusCode == nil && ch.Payout == nil && ch.Currency == nil:
		fe.add("body", "names nothing to change: give status, status_code, payout or currency")
	default:
		if ch.Status != nil {
			fe.status(*ch.Status)
		}
		if ch.StatusCode != nil {
			fe.statusCode(*ch.StatusCode)
		}
		if ch.Payout != nil {
			fe.amount("payout", *ch.Payout)
		}
		if ch.Currency != nil {
			fe.currency(*ch.Currency)
		}
	}
	if err := fe.err(); err != nil {
		writeAnswer(w, jsonAnswer(http.StatusBadRequest, map[string]string{"error": err.Error()}))
		return
	}
	id := r.PathValue("event_id")
	found := s.UpdateConversion(id, func(c *Conversion) {
		if ch.Status != nil {
			c.Status = *ch.Status
		}
		if ch.StatusCode != nil {
			c.StatusCode = *ch.StatusCode
		}
		if ch.Payout != nil {
			c.Payout = *ch.Payout
		}
		if ch.Currency != nil {
			c.Currency = *ch.Currency
		}
	})
	if !found {
		writeAnswer(w, jsonAnswer(http.StatusNotFound, map[string]string{"error": "no conversion with event id " + id}))
		return
	}
	writeAnswer(w, jsonAnswer(http.StatusOK, map[string]string{"event_id": id}))
}

// decodeBody reads a request's body, one JSON object of v's fields, into v.
// When it cannot, it answers 400 and returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil && d.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		writeAnswer(w, jsonAnswer(http.StatusBadRequest, map[string]string{"error": "body: " + err.Error()}))
		return false
	}
	return true
}
