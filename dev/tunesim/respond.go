package tunesim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// apiError is one entry of an envelope's errors.
type apiError struct {
	PublicMessage string `json:"publicMessage,omitempty"`
	ErrMsg        string `json:"err_msg,omitempty"`
	AttributeName string `json:"attribute_name,omitempty"`
}

// envelope builds TUNE's answer: HTTP 200 whatever happened, the request
// echoed back with every parameter (the key included), and the response.
func envelope(form url.Values, status int, data any, errs []apiError) answer {
	var errorMessage any
	if len(errs) > 0 {
		if errs[0].PublicMessage != "" {
			errorMessage = errs[0].PublicMessage
		} else {
			errorMessage = errs[0].ErrMsg
		}
	}
	if errs == nil {
		errs = []apiError{}
	}
	body := map[string]any{
		"request": echo(form),
		"response": map[string]any{
			"status":       status,
			"httpStatus":   http.StatusOK,
			"data":         data,
			"errors":       errs,
			"errorMessage": errorMessage,
		},
	}
	return jsonAnswer(http.StatusOK, body)
}

func success(form url.Values, data any) answer { return envelope(form, 1, data, nil) }

// failure is an error answer: status -1, data "".
func failure(form url.Values, errs ...apiError) answer { return envelope(form, -1, "", errs) }

// echo renders the request's parameters as TUNE echoes them.
func echo(form url.Values) map[string]any {
	req := make(map[string]any, len(form))
	for k, v := range form {
		if len(v) == 1 {
			req[k] = v[0]
		} else {
			req[k] = v
		}
	}
	return req
}

// unknownNetwork is the answer for a network id TUNE does not know: no
// status, no request, errors as an object.
func unknownNetwork() answer {
	return jsonAnswer(http.StatusOK, map[string]any{
		"response": map[string]any{
			"errors": map[string]string{"publicMessage": "Network id is not valid"},
			"link":   "https://developers.tune.com/network-docs/making-api-calls/",
		},
	})
}

func jsonAnswer(status int, v any) answer {
	body, err := json.Marshal(v)
	if err != nil {
		return htmlAnswer(http.StatusInternalServerError, "500 Internal Server Error")
	}
	return answer{status: status, contentType: "application/json; charset=utf-8", body: body}
}

func htmlAnswer(status int, title string) answer {
	body := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	return answer{status: status, contentType: "text/html", body: []byte(body)}
}

// emptyPage is a page wrapper without records.
func emptyPage() map[string]any {
	return map[string]any{"page": 1, "current": 0, "count": 0, "pageCount": 0, "data": []any{}}
}

func itoa(n int) string { return strconv.Itoa(n) }
