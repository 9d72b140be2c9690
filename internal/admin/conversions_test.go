package admin_test

import (
	"testing"

	"github.com/trackly/tune-integration/internal/conversions"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

func TestAdminChangesAConversionThroughItsLifeCycle(t *testing.T) {
	ref := trackly.ConversionRef{IntegrationID: "in_demo", ConversionID: "tx-demo", GoalID: "0"}
	tests := []struct {
		name        string
		payloads    []string // applied in order; the last one's answer is checked
		wantOutcome conversions.Outcome
		wantStatus  trackly.ConversionStatus
		wantPayout  string
		wantVersion int
		wantField   string // a refusal naming this field, nothing changed
	}{
		{name: "pending is approved", payloads: []string{`{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","status":"approved","note":"ticket 4411"}`},
			wantOutcome: conversions.Changed, wantStatus: trackly.StatusApproved, wantPayout: "12.5", wantVersion: 2},
		{name: "a payout correction keeps the status", payloads: []string{`{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","payout":"10.123456789","note":"advertiser's figure"}`},
			wantOutcome: conversions.Changed, wantStatus: trackly.StatusPending, wantPayout: "10.12345679", wantVersion: 2},
		{name: "the state recorded changes nothing", payloads: []string{`{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","status":"pending","payout":"12.50","note":"checked"}`},
			wantOutcome: conversions.Same, wantStatus: trackly.StatusPending, wantPayout: "12.5", wantVersion: 1},
		{name: "an approved conversion is not made pending", payloads: []string{
			`{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","status":"approved","note":"ok"}`,
			`{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","status":"pending","note":"undo"}`},
			wantField: "status", wantStatus: trackly.StatusApproved, wantPayout: "12.5", wantVersion: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdmin()
			a.store.seedDemo()
			var res any
			var err error
			for _, p := range tt.payloads {
				res, err = a.handle(t, p)
			}
			stored := a.store.conversions[ref]
			if tt.wantField != "" {
				if fe, ok := validate.AsFieldError(err); !ok || fe.Field != tt.wantField {
					t.Errorf("error %v, want a field error naming %s", err, tt.wantField)
				}
			} else if changed, ok := res.(conversions.ChangeResult); err != nil || !ok || changed.Outcome != tt.wantOutcome {
				t.Fatalf("answer %#v, error %v; want outcome %s", res, err, tt.wantOutcome)
			}
			if stored.Status != tt.wantStatus || stored.Payout.String() != tt.wantPayout || stored.Version != tt.wantVersion || len(stored.History) != tt.wantVersion {
				t.Errorf("stored %s %s version %d (%d history entries), want %s %s version %d", stored.Status, stored.Payout, stored.Version, len(stored.History), tt.wantStatus, tt.wantPayout, tt.wantVersion)
			}
			if last := stored.History[len(stored.History)-1]; tt.wantVersion > 1 && (last.Source != trackly.SourceAdmin || last.Note == "") {
				t.Errorf("last history entry %+v, want the admin's change with its note", last)
			}
		})
	}

	t.Run("get_conversion answers the conversion with its history", func(t *testing.T) {
		a := newAdmin()
		a.store.seedDemo()
		if _, err := a.handle(t, `{"action":"change_conversion","integration_id":"in_demo","conversion_id":"tx-demo","status":"rejected","note":"fraud"}`); err != nil {
			t.Fatal(err)
		}
		res, err := a.handle(t, `{"action":"get_conversion","integration_id":"in_demo","conversion_id":"tx-demo"}`)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := res.(trackly.Conversion)
		if !ok || c.Status != trackly.StatusRejected || len(c.History) != 2 || c.History[1].From == nil || c.History[1].From.Status != trackly.StatusPending {
			t.Errorf("answer %#v, want the rejected conversion with its recording and its change from pending", res)
		}
	})
}
