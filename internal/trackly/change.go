package trackly

// Change is one change to a stored click or conversion, as the stream of its
// table tells it: the record before the change and after it, each nil where
// there is none (nothing before an insert, nothing after a removal). A change
// is to a click or to a conversion, never to both.
type Change struct {
	// ID names the change: the stream delivers it again under the same ID.
	ID string
	// OldClick and NewClick are the click before and after the change.
	OldClick, NewClick *Click
	// OldConversion and NewConversion are the conversion before and after the change.
	OldConversion, NewConversion *Conversion
}
