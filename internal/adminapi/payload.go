package adminapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/trackly/tune-integration/internal/validate"
)

// Payload returns the payload that invokes a with req: the JSON object req
// encodes to, with "action" added.
func Payload(a Action, req any) (json.RawMessage, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the request of %s: %w", a, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("the request of %s must encode to a JSON object, not %s", a, body)
	}
	if _, ok := fields["action"]; ok {
		return nil, fmt.Errorf("the request of %s has a field named action", a)
	}
	if fields["action"], err = json.Marshal(a); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

// DecodeRequest reads the fields of a payload, all but "action", into req, a
// pointer to the action's request. It is strict: a field req does not have,
// or a value of the wrong JSON type, is a validate.FieldError that names the field.
func DecodeRequest(payload json.RawMessage, req any) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil {
		return validate.Field("payload", "must be a JSON object: %v", err)
	}
	delete(fields, "action")
	body, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("re-encode payload: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return decodeError(err)
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return validate.Field(typeErr.Field, "must be a JSON %s, not %s", typeErr.Type.Kind(), typeErr.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return validate.Field(strings.Trim(name, `"`), "is not a field of this action")
	}
	return validate.Field("payload", "%v", err)
}
