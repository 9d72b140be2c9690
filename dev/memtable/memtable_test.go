package memtable_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trackly/tune-integration/dev/memtable"
	"github.com/trackly/tune-integration/internal/trackly"
)

func TestATableAnswersAsTheStoreDoes(t *testing.T) {
	rows := map[string]int{"a": 1}
	if v, err := memtable.Get(rows, "a"); v != 1 || err != nil {
		t.Errorf("Get a: %d, %v; want 1", v, err)
	}
	if _, err := memtable.Get(rows, "b"); !errors.Is(err, trackly.ErrNotFound) {
		t.Errorf("Get b: %v, want not found", err)
	}
	if err := memtable.Create(rows, "a", 2); !errors.Is(err, trackly.ErrConflict) || rows["a"] != 1 {
		t.Errorf("Create a taken key: %v, row %d; want a conflict and the row kept", err, rows["a"])
	}
	if err := memtable.Update(rows, "b", 2); !errors.Is(err, trackly.ErrNotFound) || len(rows) != 1 {
		t.Errorf("Update b: %v, rows %v; want not found and nothing stored", err, rows)
	}
	if err := memtable.Create(rows, "b", 2); err != nil || rows["b"] != 2 {
		t.Errorf("Create b: %v, rows %v", err, rows)
	}
	if err := memtable.Update(rows, "a", 3); err != nil || rows["a"] != 3 {
		t.Errorf("Update a: %v, rows %v", err, rows)
	}
	if got := memtable.Select(rows, func(v int) bool { return v > 2 }); len(got) != 1 || got[0] != 3 {
		t.Errorf("Select above 2: %v, want [3]", got)
	}
	if got := memtable.Select(rows, func(int) bool { return false }); got != nil {
		t.Errorf("Select nothing: %v, want nil", got)
	}
}

func TestSecrets(t *testing.T) {
	ctx := context.Background()
	s := memtable.Secrets{}
	if err := s.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "k"); v != "v" || err != nil {
		t.Errorf("Get k: %q, %v; want v", v, err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, trackly.ErrNotFound) {
		t.Errorf("Get a deleted secret: %v, want not found", err)
	}
}
