package tune_test

import (
	"testing"

	"github.com/trackly/tune-integration/internal/tune"
)

func TestUnreplacedMacro(t *testing.T) {
	tests := []struct {
		value string
		want  string // "" when no macro
	}{
		{"{aff_sub}", "{aff_sub}"},
		{"%7Baff_sub%7D", "{aff_sub}"},
		{"%7baff_sub%7d", "{aff_sub}"},
		{"%257Baff_sub%257D", "{aff_sub}"},
		{"ck_{transaction_id}", "{transaction_id}"},
		{"{aff_sub5}", "{aff_sub5}"},
		{"{AFF_SUB}", "{AFF_SUB}"},
		{"ck_01HZX3Y8Q6", ""},
		{"", ""},
		{"12.50", ""},
		{"100%", ""},
		{"{}", ""},
		{"{aff sub}", ""},
		{"{aff-sub}", ""},
		{"%7B%7D", ""},
	}
	for _, tt := range tests {
		got, found := tune.UnreplacedMacro(tt.value)
		if got != tt.want || found != (tt.want != "") {
			t.Errorf("UnreplacedMacro(%q) = %q, %v; want %q", tt.value, got, found, tt.want)
		}
	}
}
