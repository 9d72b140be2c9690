package adminapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trackly/tune-integration/internal/validate"
)

// Payloads are read in two steps. ReadAction reads what every payload must
// be: one JSON object, in UTF-8, with each key once at every depth, its
// action a string. DecodeRequest then checks every field against the
// action's request type before encoding/json fills it in, so that each
// error names the field in the contract's words: "offer_ids: must be a list
// of strings", never a Go type.

// example is a payload every function knows, shown when a payload is no JSON object.
const example = `{"action": "list_integrations"}`

// ReadAction returns the action a payload names, "" when it names none. A
// payload that is not one JSON object in UTF-8, that gives a key twice at
// any depth, or whose action is not a string, is a validate.FieldError.
func ReadAction(payload json.RawMessage) (string, error) {
	v, err := parse(payload)
	if err != nil {
		return "", err
	}
	action, ok := v.field("action")
	if !ok {
		return "", nil
	}
	if action.kind != kindString {
		return "", validate.Field("action", "must be a string, not %s", action.kind)
	}
	return action.text, nil
}

// DecodeRequest reads the fields of a payload, all but "action", into req, a
// pointer to the action's request. It is strict; each of these is a
// validate.FieldError that names the field (filter.search for a field of an
// object):
//   - what ReadAction refuses;
//   - a field the request does not have, or has in other capitals;
//   - a value of the wrong JSON type;
//   - a string that is not plain text (validate.Text), at any depth;
//   - null, unless the request clears that setting (see Clearer);
//   - "", 0 or [] for a field that may be left out (tagged omitempty, not a
//     pointer): there, leaving the field out is how the default is asked for,
//     and the value would only say the same thing again, or nothing.
func DecodeRequest(payload json.RawMessage, req any) error {
	v, err := parse(payload)
	if err != nil {
		return err
	}
	rv := reflect.ValueOf(req)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("adminapi: decode a payload into %T, not a pointer to a request", req)
	}
	var nulls []string
	for i, name := range v.keys {
		if name == "action" {
			continue
		}
		if v.vals[i].kind == kindNull {
			nulls = append(nulls, name)
		}
	}
	if err := checkObject(v, rv.Elem().Type(), "", true); err != nil {
		return err
	}
	if err := json.Unmarshal(payload, req); err != nil {
		return validate.Field("payload", "cannot be read as this action's request")
	}
	for _, name := range nulls {
		c, ok := req.(Clearer)
		if !ok {
			return validate.Field(name, "must not be null; leave it out instead")
		}
		if err := c.Clear(name); err != nil {
			return err
		}
	}
	return nil
}

// Clearer is a request with settings an admin clears by giving them as null
// (update_integration's api_base_url, for one).
type Clearer interface {
	// Clear clears the setting named by its JSON name, or returns a
	// validate.FieldError when that field cannot be cleared.
	Clear(field string) error
}

// kind is the JSON type of a value.
type kind int

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindList
	kindObject
)

// String names a kind as error messages do: "must be a string, not a number".
func (k kind) String() string {
	return [...]string{"null", "true or false", "a number", "a string", "a list", "an object"}[k]
}

// value is a parsed JSON value.
type value struct {
	kind kind
	// text is a string's text or a number's literal.
	text string
	// keys are an object's keys, in order; vals are their values, or a list's items.
	keys []string
	vals []*value
}

func (v *value) field(name string) (*value, bool) {
	for i, k := range v.keys {
		if k == name {
			return v.vals[i], true
		}
	}
	return nil, false
}

// parse reads payload as one JSON object in UTF-8 whose objects give each key once.
func parse(payload []byte) (*value, error) {
	if !utf8.Valid(payload) {
		return nil, validate.Field("payload", "must be UTF-8 text")
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	v, err := parseValue(dec, "")
	if err != nil {
		return nil, err
	}
	if v.kind != kindObject {
		return nil, validate.Field("payload", "must be a JSON object like %s, not %s", example, v.kind)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, validate.Field("payload", "must be one JSON object like %s, with nothing after it", example)
	}
	return v, nil
}

func parseValue(dec *json.Decoder, path string) (*value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	switch t := tok.(type) {
	case nil:
		return &value{kind: kindNull}, nil
	case bool:
		return &value{kind: kindBool}, nil
	case json.Number:
		return &value{kind: kindNumber, text: t.String()}, nil
	case string:
		return &value{kind: kindString, text: t}, nil
	case json.Delim:
		if t == '[' {
			v := &value{kind: kindList}
			for dec.More() {
				item, err := parseValue(dec, path)
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, item)
			}
			_, err := dec.Token()
			return v, syntaxError(err)
		}
		v := &value{kind: kindObject}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, syntaxError(err)
			}
			key := tok.(string)
			if err := validate.Text("payload", key); err != nil {
				return nil, validate.Field("payload", "holds a field name that is not plain text")
			}
			p := join(path, key)
			if _, twice := v.field(key); twice {
				return nil, validate.Field(p, "appears twice; give each field once")
			}
			val, err := parseValue(dec, p)
			if err != nil {
				return nil, err
			}
			v.keys, v.vals = append(v.keys, key), append(v.vals, val)
		}
		_, err := dec.Token()
		return v, syntaxError(err)
	}
	return nil, fmt.Errorf("adminapi: unexpected JSON token %v", tok)
}

// syntaxError describes JSON that does not parse, without the parser's words.
func syntaxError(err error) error {
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return validate.Field("payload", "must be a JSON object like %s; the JSON is broken at byte %d", example, se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return validate.Field("payload", "must be a JSON object like %s; the JSON ends too soon", example)
	}
	return validate.Field("payload", "must be a JSON object like %s", example)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// describe names what a value of type t must be: "a string", "a list of strings".
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return describe(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list of " + plural(t.Elem())
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a value"
}

// plural names the values of a list of t: "strings", "whole numbers".
func plural(t reflect.Type) string {
	d := describe(t)
	if d == "true or false" {
		return "true or false values"
	}
	_, noun, _ := strings.Cut(d, " ")
	if rest, ok := strings.CutPrefix(noun, "list of "); ok {
		return "lists of " + rest
	}
	return noun + "s"
}

// wantKind is the JSON kind a Go type decodes from, and false for types
// that decode themselves or take any value.
func wantKind(t reflect.Type) (kind, bool) {
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return 0, false
	}
	switch t.Kind() {
	case reflect.Pointer:
		return wantKind(t.Elem())
	case reflect.String:
		return kindString, true
	case reflect.Bool:
		return kindBool, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return kindNumber, true
	case reflect.Slice, reflect.Array:
		return kindList, true
	case reflect.Struct, reflect.Map:
		return kindObject, true
	}
	return 0, false
}

// check checks v, the value at path, against t, the Go type it decodes into.
func check(v *value, t reflect.Type, path string) error {
	want, ok := wantKind(t)
	if !ok {
		return nil
	}
	if v.kind != want {
		return validate.Field(path, "must be %s, not %s", describe(t), v.kind)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch want {
	case kindString:
		return validate.Text(path, v.text)
	case kindNumber:
		return checkNumber(v.text, t, path)
	case kindList:
		elem := t.Elem()
		itemKind, typed := wantKind(elem)
		for i, item := range v.vals {
			if typed && item.kind != itemKind {
				return validate.Field(path, "must be %s; item %d is %s", describe(t), i+1, item.kind)
			}
			if err := check(item, elem, path); err != nil {
				if fe, ok := validate.AsFieldError(err); ok && fe.Field == path {
					return validate.Field(path, "item %d: %s", i+1, fe.Message)
				}
				return err
			}
		}
	case kindObject:
		if t.Kind() == reflect.Struct {
			return checkObject(v, t, path, false)
		}
	}
	return nil
}

// checkNumber checks that the literal of a JSON number fits t.
func checkNumber(literal string, t reflect.Type, path string) error {
	var err error
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(literal, 10, t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err = strconv.ParseUint(literal, 10, t.Bits())
	default:
		_, err = strconv.ParseFloat(literal, t.Bits())
	}
	if errors.Is(err, strconv.ErrRange) {
		return validate.Field(path, "must be %s in range, not %s", describe(t), literal)
	}
	if err != nil {
		return validate.Field(path, "must be %s, not %s", describe(t), literal)
	}
	return nil
}

// checkObject checks the fields of object v against struct type t. At the
// top of a payload (top), "action" is the router's and null is left to
// DecodeRequest; deeper, null is refused.
func checkObject(v *value, t reflect.Type, path string, top bool) error {
	fields := fieldsOf(t)
	for i, name := range v.keys {
		val, p := v.vals[i], join(path, name)
		if top && name == "action" {
			continue
		}
		f, ok := fields[name]
		if !ok {
			return unknownField(p, name, fields)
		}
		if val.kind == kindNull {
			if top {
				continue
			}
			return validate.Field(p, "must not be null; leave it out instead")
		}
		if err := check(val, f.typ, p); err != nil {
			return err
		}
		if f.omitEmpty && f.typ.Kind() != reflect.Pointer {
			if err := checkNotEmpty(val, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkNotEmpty refuses "", 0 and [] for a field whose absence means its default.
func checkNotEmpty(v *value, path string) error {
	switch {
	case v.kind == kindString && v.text == "":
		return validate.Field(path, "must not be empty; leave it out instead")
	case v.kind == kindList && len(v.vals) == 0:
		return validate.Field(path, "must not be empty; leave it out instead")
	case v.kind == kindNumber:
		if n, err := strconv.ParseFloat(v.text, 64); err == nil && n == 0 {
			return validate.Field(path, "must be 1 or more; leave it out for the default")
		}
	}
	return nil
}

func unknownField(path, name string, fields map[string]field) error {
	for known := range fields {
		if strings.EqualFold(known, name) {
			return validate.Field(path, "is not a field of this action; did you mean %q?", known)
		}
	}
	return validate.Field(path, "is not a field of this action")
}

// field is a field of a request as encoding/json sees it.
type field struct {
	typ       reflect.Type
	omitEmpty bool
}

// fieldsOf returns the fields of struct type t by JSON name, with those of
// its embedded structs, as encoding/json decodes them.
func fieldsOf(t reflect.Type) map[string]field {
	out := map[string]field{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for n, ef := range fieldsOf(et) {
					if _, outer := out[n]; !outer {
						out[n] = ef
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = field{typ: f.Type, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")}
	}
	return out
}
