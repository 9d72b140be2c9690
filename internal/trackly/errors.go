package trackly

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a conditional write finds the record in an unexpected state.
var ErrConflict = errors.New("conflict")

// ErrDuplicate is returned when a conversion with the same integration,
// conversion id and goal id is already recorded.
var ErrDuplicate = errors.New("conversion already recorded")

// ErrLeaseHeld is returned when another sync run holds an integration's sync
// lease. It wraps ErrConflict.
var ErrLeaseHeld = fmt.Errorf("%w: another sync holds the lease", ErrConflict)
