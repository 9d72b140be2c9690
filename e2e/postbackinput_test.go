package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/localrun/localruntest"
	"github.com/trackly/tune-integration/internal/trackly"
)

// Each subtest of TestPostbackInputIsTakenExactly converts on a link of its own, so that it
// reads reports of its own and runs alone as well as with the others.
func TestPostbackInputIsTakenExactly(t *testing.T) {
	s := localruntest.Start(t, localrun.Options{})
	token := s.PostbackToken(t)
	fieldsOf := func(a localruntest.PostbackAnswer) []string {
		var out []string
		errs, _ := a.Body["errors"].([]any)
		for _, e := range errs {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m["field"].(string))
			}
		}
		return out
	}

	t.Run("conversion ids that differ in a byte that is not UTF-8 are refused, not made one", func(t *testing.T) {
		link := newLink(t, s, "utf8")
		click := s.ClickID(t, link.URL)
		for _, id := range []string{"X\x80Y", "X\x81Y"} {
			a := s.Postback(t, url.Values{"click_id": {click}, "payout": {"2"}, "conversion_id": {id}, "token": {token}})
			if a.Status != http.StatusBadRequest || strings.Join(fieldsOf(a), ",") != "conversion_id" {
				t.Errorf("conversion id %q: %d %s, want 400 naming conversion_id", id, a.Status, a.Raw)
			}
		}
		for _, ctl := range []string{"tx\x00", "tx\r\n"} {
			a := s.Postback(t, url.Values{"click_id": {click}, "payout": {"2"}, "conversion_id": {ctl}, "token": {token}})
			if a.Status != http.StatusBadRequest || strings.Join(fieldsOf(a), ",") != "conversion_id" {
				t.Errorf("conversion id %q: %d %s, want 400 naming conversion_id", ctl, a.Status, a.Raw)
			}
		}
	})

	t.Run("a genuine click id with a line feed inserted is refused, and the genuine one then counts", func(t *testing.T) {
		link := newLink(t, s, "canonical")
		click := s.ClickID(t, link.URL)
		params := url.Values{"click_id": {click[:len(click)-5] + "\n" + click[len(click)-5:]}, "payout": {"4"}, "currency": {"USD"}, "conversion_id": {"tx-canonical"}, "token": {token}}
		if a := s.Postback(t, params); a.Status != http.StatusBadRequest || strings.Join(fieldsOf(a), ",") != "click_id" {
			t.Fatalf("altered click id: %d %s, want 400 naming click_id", a.Status, a.Raw)
		}
		params.Set("click_id", click)
		a := s.Postback(t, params)
		if a.Status != http.StatusOK {
			t.Fatalf("genuine click id: %d %s", a.Status, a.Raw)
		}
		id := a.Body["postback_id"].(string)
		localruntest.Eventually(t, "attribution", func() bool { return s.OutcomeOf(t, id).Outcome == trackly.PostbackAttributed })
		localruntest.Eventually(t, "the conversion in the report", func() bool { return s.Report(t, "message", link.MessageID).Total.Conversions >= 1 })
		if tot := s.Report(t, "message", link.MessageID).Total; tot.Conversions != 1 || tot.Revenue["USD"].String() != "4" {
			t.Errorf("report %+v, want the conversion of 4", tot)
		}
	})

	t.Run("a postback without the token its integration requires is refused at once, naming the token", func(t *testing.T) {
		link := newLink(t, s, "notoken403")
		click := s.ClickID(t, link.URL)
		for name, params := range map[string]url.Values{
			"no token":    {"click_id": {click}, "payout": {"9"}, "conversion_id": {"tx-notoken403"}},
			"empty token": {"click_id": {click}, "payout": {"9"}, "conversion_id": {"tx-notoken403"}, "token": {""}},
		} {
			a := s.Postback(t, params)
			if a.Status != http.StatusForbidden || a.Body["status"] != "rejected" || strings.Join(fieldsOf(a), ",") != "token" {
				t.Errorf("%s: %d %s, want 403 rejected naming token", name, a.Status, a.Raw)
				continue
			}
			if got := s.OutcomeOf(t, a.Body["postback_id"].(string)); got.Outcome != trackly.PostbackRejected || got.HTTPStatus != http.StatusForbidden {
				t.Errorf("%s: logged %+v, want rejected with 403", name, got)
			}
		}
		if tot := s.Report(t, "message", link.MessageID).Total; tot.Conversions != 0 {
			t.Errorf("a refused postback counted: %+v", tot)
		}
	})

	t.Run("a payout of more than 8 decimal places is rounded once: conversion and report agree", func(t *testing.T) {
		link := newLink(t, s, "subcent")
		click := s.ClickID(t, link.URL)
		a := s.Postback(t, url.Values{"click_id": {click}, "payout": {"0.123456789"}, "currency": {"USD"}, "conversion_id": {"tx-subcent"}, "token": {token}})
		if a.Status != http.StatusOK {
			t.Fatalf("postback: %d %s", a.Status, a.Raw)
		}
		id := a.Body["postback_id"].(string)
		localruntest.Eventually(t, "attribution", func() bool { return s.OutcomeOf(t, id).Outcome == trackly.PostbackAttributed })
		var list struct {
			Conversions []trackly.Conversion `json:"conversions"`
		}
		s.MustInvoke(t, "AdminFunction", map[string]any{"action": "list_conversions", "account_id": s.Demo.AccountID, "limit": 100}, &list)
		payout := ""
		for _, c := range list.Conversions {
			if c.ConversionID == "tx-subcent" {
				payout = c.Payout.String()
			}
		}
		localruntest.Eventually(t, "the conversion in the report", func() bool { return s.Report(t, "message", link.MessageID).Total.Conversions >= 1 })
		revenue := s.Report(t, "message", link.MessageID).Total.Revenue["USD"].String()
		if payout != "0.12345679" || revenue != payout {
			t.Errorf("conversion payout %q, report revenue %q; want both 0.12345679", payout, revenue)
		}
		if e := s.OutcomeOf(t, id); e.Params["payout"] != "0.123456789" || !strings.Contains(e.Note, "rounded to 0.12345679") {
			t.Errorf("logged payout %q with note %q, want the payout as sent and a note of its rounding", e.Params["payout"], e.Note)
		}
	})
}
