package tune

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// envelope is TUNE's answer. Its "request" member, which echoes the key, is
// deliberately not decoded.
type envelope struct {
	Response *struct {
		Status       flexString      `json:"status"`
		Data         json.RawMessage `json:"data"`
		Errors       json.RawMessage `json:"errors"`
		ErrorMessage json.RawMessage `json:"errorMessage"`
	} `json:"response"`
}

// errNotEnvelope reports a body that is not TUNE's JSON envelope.
var errNotEnvelope = errors.New("not a TUNE API envelope")

// apiFailure is a well-formed envelope that does not report success.
type apiFailure struct{ text string }

func (f *apiFailure) Error() string { return f.text }

// decodeEnvelope returns the data of a successful answer, an *apiFailure
// for an answer that is TUNE's but not a success, or errNotEnvelope.
// Success is status 1 and nothing else.
func decodeEnvelope(body []byte) (json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, errNotEnvelope
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Response == nil {
		return nil, errNotEnvelope
	}
	r := env.Response
	if strings.TrimSpace(string(r.Status)) == "1" {
		return r.Data, nil
	}
	texts := errorTexts(r.Errors, 0)
	if msg := errorTexts(r.ErrorMessage, 0); len(msg) > 0 && !slices.Contains(texts, msg[0]) {
		texts = append(texts, msg...)
	}
	if len(texts) == 0 {
		if r.Status == "" {
			texts = []string{"answer without a status"}
		} else {
			texts = []string{"status " + string(r.Status) + " without an error message"}
		}
	}
	return nil, &apiFailure{text: strings.Join(texts, "; ")}
}

// apiError is one entry of TUNE's errors.
type apiError struct {
	PublicMessage flexString `json:"publicMessage"`
	ErrMsg        flexString `json:"err_msg"`
	Message       flexString `json:"message"`
	AttributeName flexString `json:"attribute_name"`
}

func (e apiError) text() string {
	msg := string(e.PublicMessage)
	if msg == "" {
		msg = string(e.ErrMsg)
	}
	if msg == "" {
		msg = string(e.Message)
	}
	if msg != "" && e.AttributeName != "" {
		msg = string(e.AttributeName) + ": " + msg
	}
	return msg
}

// errorTexts collects the messages of TUNE's errors, which come as a list of
// objects, an object, an object of objects, strings, or nothing.
func errorTexts(raw json.RawMessage, depth int) []string {
	raw = bytes.TrimSpace(raw)
	if isEmptyJSON(raw) || depth > 3 {
		return nil
	}
	var texts []string
	add := func(ts ...string) {
		for _, t := range ts {
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(texts, t) {
				texts = append(texts, t)
			}
		}
	}
	switch raw[0] {
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			for _, item := range list {
				add(errorTexts(item, depth+1)...)
			}
		}
	case '{':
		var e apiError
		if json.Unmarshal(raw, &e) == nil && e.text() != "" {
			add(e.text())
			break
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(raw, &members) == nil {
			keys := make([]string, 0, len(members))
			for k := range members {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				add(errorTexts(members[k], depth+1)...)
			}
		}
	default:
		if s, err := scalarText(raw); err == nil {
			add(s)
		}
	}
	return texts
}
