package store

import (
	"fmt"
	"reflect"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/trackly/tune-integration/internal/money"
	"github.com/trackly/tune-integration/internal/trackly"
)

// An attr binds one attribute of an item to the field of a record that it
// stores, or to a value derived from the record (a key, an expiry time).
type attr struct {
	name string
	// put returns the attribute's value; nil leaves the attribute out.
	put func() (types.AttributeValue, error)
	// get reads the attribute back into the record; it is nil for a derived
	// value, which is written only.
	get func(types.AttributeValue) error
	// absent, when not nil, sets the field of an item that lacks the
	// attribute: one written before the attribute existed.
	absent func()
}

// A row is the layout of one table's items, bound to one record: each
// attribute with the field it stores. The same row writes the record
// (item) and reads it back (read), so each layout is declared once.
type row []attr

// item returns the attributes that store the row's record. It refuses a
// string that is not valid UTF-8, which the SDK's JSON would otherwise turn
// into another string (each bad byte into U+FFFD) on its way to the table.
func (r row) item() (map[string]types.AttributeValue, error) {
	item := make(map[string]types.AttributeValue, len(r))
	for _, a := range r {
		av, err := a.put()
		if err == nil {
			err = checkUTF8(av)
		}
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", a.name, err)
		}
		if av != nil {
			item[a.name] = av
		}
	}
	return item, nil
}

// checkUTF8 returns an error if av holds a string, a map key included, that is
// not valid UTF-8.
func checkUTF8(av types.AttributeValue) error {
	var texts []string
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		texts = []string{v.Value}
	case *types.AttributeValueMemberSS:
		texts = v.Value
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			if err := checkUTF8(e); err != nil {
				return err
			}
		}
	case *types.AttributeValueMemberM:
		for k, e := range v.Value {
			texts = append(texts, k)
			if err := checkUTF8(e); err != nil {
				return err
			}
		}
	}
	for _, s := range texts {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%q is not valid UTF-8, and would not be stored as it is", s)
		}
	}
	return nil
}

// read sets the row's record from an item. The fields whose attributes the
// item lacks keep their values.
func (r row) read(item map[string]types.AttributeValue) error {
	for _, a := range r {
		av, ok := item[a.name]
		if !ok && a.absent != nil {
			a.absent()
		}
		if !ok || a.get == nil {
			continue
		}
		if err := a.get(av); err != nil {
			return fmt.Errorf("decode %s: %w", a.name, err)
		}
	}
	return nil
}

// has reports whether the row has an attribute of that name.
func (r row) has(name string) bool {
	return slices.ContainsFunc(r, func(a attr) bool { return a.name == name })
}

// decode returns the record of type T that an item stores, read through
// the layout rowOf binds.
func decode[T any](item map[string]types.AttributeValue, rowOf func(*T) row) (T, error) {
	var v T
	err := rowOf(&v).read(item)
	return v, err
}

// decoder returns the decoder of the records rowOf binds.
func decoder[T any](rowOf func(*T) row) func(map[string]types.AttributeValue) (T, error) {
	return func(item map[string]types.AttributeValue) (T, error) { return decode(item, rowOf) }
}

// field stores *p as package attributevalue encodes its type: a time as an
// RFC 3339 string, the zero time included.
func field[V any](name string, p *V) attr {
	return attr{
		name: name,
		put:  func() (types.AttributeValue, error) { return attributevalue.Marshal(*p) },
		get:  func(av types.AttributeValue) error { return attributevalue.Unmarshal(av, p) },
	}
}

// omittable are the types of the fields whose zero value optional leaves out.
type omittable interface {
	~string | ~int | ~bool | map[string]string | []string | time.Time
}

// optional is field, but leaves the attribute out while *p is zero (an
// empty string, 0, false, a nil map or slice, the zero time).
func optional[V omittable](name string, p *V) attr {
	a := field(name, p)
	put := a.put
	a.put = func() (types.AttributeValue, error) {
		if reflect.ValueOf(*p).IsZero() {
			return nil, nil
		}
		return put()
	}
	return a
}

// orDefault is field, but reads an item that lacks the attribute (one
// written before it existed) as holding v.
func orDefault[V any](name string, p *V, v V) attr {
	a := field(name, p)
	a.absent = func() { *p = v }
	return a
}

// derived stores a value computed from the record when the row was bound;
// it is written, never read back.
func derived[V any](name string, v V) attr {
	return attr{name: name, put: func() (types.AttributeValue, error) { return attributevalue.Marshal(v) }}
}

// amount stores *p as a DynamoDB number, which holds a decimal exactly.
func amount(name string, p *money.Amount) attr {
	return attr{
		name: name,
		put:  func() (types.AttributeValue, error) { return amountValue(*p), nil },
		get: func(av types.AttributeValue) (err error) {
			*p, err = amountOf(av)
			return err
		},
	}
}

// optionalAmount is amount for an amount that may be absent (nil), which
// leaves the attribute out.
func optionalAmount(name string, p **money.Amount) attr {
	return attr{
		name: name,
		put: func() (types.AttributeValue, error) {
			if *p == nil {
				return nil, nil
			}
			return amountValue(**p), nil
		},
		get: func(av types.AttributeValue) error {
			if _, null := av.(*types.AttributeValueMemberNULL); null {
				*p = nil
				return nil
			}
			a, err := amountOf(av)
			*p = &a
			return err
		},
	}
}

// amountValue returns a as a DynamoDB number.
func amountValue(a money.Amount) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: a.String()}
}

// amountOf reads an amount from a DynamoDB number (or a string holding one);
// NULL reads as 0. Stored amounts are read as they are, whatever their size.
func amountOf(av types.AttributeValue) (money.Amount, error) {
	var s string
	switch v := av.(type) {
	case *types.AttributeValueMemberN:
		s = v.Value
	case *types.AttributeValueMemberS:
		s = v.Value
	case *types.AttributeValueMemberNULL:
		return money.Zero, nil
	default:
		return money.Zero, fmt.Errorf("cannot read %T as an amount", av)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return money.Zero, fmt.Errorf("amount %q: %w", s, err)
	}
	return money.FromDecimal(d), nil
}

// unixTime stores *p as whole seconds since the Unix epoch, the number that
// DynamoDB's TTL reads; it reads back in UTC.
func unixTime(name string, p *time.Time) attr {
	return attr{
		name: name,
		put:  func() (types.AttributeValue, error) { return attributevalue.Marshal(p.Unix()) },
		get: func(av types.AttributeValue) error {
			var seconds int64
			if err := attributevalue.Unmarshal(av, &seconds); err != nil {
				return err
			}
			*p = time.Unix(seconds, 0).UTC()
			return nil
		},
	}
}

// conversionRef stores *p as its conversion key, left out when *p is zero.
func conversionRef(name string, p *trackly.ConversionRef) attr {
	return attr{
		name: name,
		put: func() (types.AttributeValue, error) {
			if *p == (trackly.ConversionRef{}) {
				return nil, nil
			}
			return attributevalue.Marshal(conversionKey(*p))
		},
		get: func(av types.AttributeValue) error {
			var key string
			if err := attributevalue.Unmarshal(av, &key); err != nil {
				return err
			}
			*p = conversionRefOf(key)
			return nil
		},
	}
}

// history stores a conversion's history as a list of maps, one per entry,
// each laid out by conversionChangeRow; it is left out when empty.
func history(name string, p *[]trackly.ConversionChange) attr {
	return attr{
		name: name,
		put: func() (types.AttributeValue, error) {
			if len(*p) == 0 {
				return nil, nil
			}
			list := make([]types.AttributeValue, len(*p))
			for i := range *p {
				entry, err := conversionChangeRow(&(*p)[i]).item()
				if err != nil {
					return nil, fmt.Errorf("entry %d: %w", i, err)
				}
				list[i] = &types.AttributeValueMemberM{Value: entry}
			}
			return &types.AttributeValueMemberL{Value: list}, nil
		},
		get: func(av types.AttributeValue) error {
			list, ok := av.(*types.AttributeValueMemberL)
			if !ok {
				return fmt.Errorf("a history is a list, not %T", av)
			}
			entries := make([]trackly.ConversionChange, len(list.Value))
			for i, e := range list.Value {
				m, ok := e.(*types.AttributeValueMemberM)
				if !ok {
					return fmt.Errorf("entry %d is a map, not %T", i, e)
				}
				if _, ok := m.Value["from_status"]; ok {
					entries[i].From = &trackly.ConversionState{}
				}
				if err := conversionChangeRow(&entries[i]).read(m.Value); err != nil {
					return fmt.Errorf("entry %d: %w", i, err)
				}
			}
			*p = entries
			return nil
		},
	}
}
