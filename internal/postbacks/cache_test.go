package postbacks

import (
	"fmt"
	"testing"
	"time"
)

func TestCacheKeepsAtMostCacheSizeRecords(t *testing.T) {
	at := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	t.Run("a full cache drops a record to keep a new one", func(t *testing.T) {
		c := newCache[int](0)
		for i := range cacheSize + 10 {
			c.put(fmt.Sprint(i), i, at)
		}
		if n := len(c.entries); n != cacheSize {
			t.Errorf("%d records kept, want %d", n, cacheSize)
		}
		if v, ok := c.get(fmt.Sprint(cacheSize+9), at); !ok || v != cacheSize+9 {
			t.Errorf("the last record put reads %d, %v", v, ok)
		}
	})
	t.Run("a full cache drops its expired records first", func(t *testing.T) {
		c := newCache[int](time.Minute)
		for i := range cacheSize - 1 {
			c.put(fmt.Sprint(i), i, at)
		}
		c.put("fresh", 1, at.Add(time.Minute))
		c.put("new", 2, at.Add(time.Minute+time.Second))
		if n := len(c.entries); n != 2 {
			t.Errorf("%d records kept, want the 2 unexpired", n)
		}
		if _, ok := c.get("fresh", at.Add(time.Minute+time.Second)); !ok {
			t.Error("an unexpired record was dropped")
		}
	})
	t.Run("a record expires after its time to live", func(t *testing.T) {
		c := newCache[int](time.Minute)
		c.put("k", 1, at)
		if _, ok := c.get("k", at.Add(time.Minute-time.Nanosecond)); !ok {
			t.Error("expired early")
		}
		if _, ok := c.get("k", at.Add(time.Minute)); ok {
			t.Error("kept past its time to live")
		}
	})
}
