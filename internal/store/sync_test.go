package store

import (
	"sort"
	"testing"
	"time"
)

// Lease ends are compared as strings by DynamoDB's condition: their format
// must sort as the times do, which RFC 3339 with trimmed fractions does not.
func TestSortableTimeSortsAsTimesDo(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	times := []time.Time{
		base,
		base.Add(500 * time.Millisecond),
		base.Add(time.Second),
		base.Add(time.Nanosecond),
		base.Add(-time.Nanosecond),
		base.In(time.FixedZone("UTC+5", 5*3600)).Add(time.Hour),
		{},
	}
	formatted := make([]string, len(times))
	for i, tm := range times {
		formatted[i] = sortableTime(tm)
		back, err := time.Parse(time.RFC3339, formatted[i])
		if err != nil || !back.Equal(tm) {
			t.Errorf("%s reads back as %v (%v), want %v", formatted[i], back, err, tm)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	sort.Strings(formatted)
	for i := range times {
		if formatted[i] != sortableTime(times[i]) {
			t.Errorf("position %d: %s sorts where %s should", i, formatted[i], sortableTime(times[i]))
		}
	}
	if sortableTime(time.Time{}) >= sortableTime(base) {
		t.Error("a released lease (the zero time) does not sort before now")
	}
}
