// Package memtable keeps records in Go maps, for the in-memory stand-ins of the store and the
// secret store that the tests of the rule packages (admin, links, postbacks, …) give the services
// they test. It answers as package store does: trackly.ErrNotFound for a key without a record, and
// trackly.ErrConflict for a create on a key that is taken.
//
// Get, Create and Update take the map itself, so that a test reads and changes its records
// directly; a stand-in used from several goroutines holds its own lock around them.
package memtable

import "github.com/trackly/tune-integration/internal/trackly"

// Get returns the record under key, or trackly.ErrNotFound if there is none.
func Get[K comparable, V any](rows map[K]V, key K) (V, error) {
	v, ok := rows[key]
	if !ok {
		return v, trackly.ErrNotFound
	}
	return v, nil
}

// Create stores v under key unless a record has it already, which answers trackly.ErrConflict,
// as a conditional put does.
func Create[K comparable, V any](rows map[K]V, key K, v V) error {
	if _, taken := rows[key]; taken {
		return trackly.ErrConflict
	}
	rows[key] = v
	return nil
}

// Update replaces the record under key with v, or answers trackly.ErrNotFound if there is none.
func Update[K comparable, V any](rows map[K]V, key K, v V) error {
	if _, ok := rows[key]; !ok {
		return trackly.ErrNotFound
	}
	rows[key] = v
	return nil
}

// Select returns the records for which keep holds, in no particular order, as a scan does; nil if
// there are none.
func Select[K comparable, V any](rows map[K]V, keep func(V) bool) []V {
	var out []V
	for _, v := range rows {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
