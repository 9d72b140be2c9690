package adminapi

import (
	"encoding/json"
	"fmt"
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
