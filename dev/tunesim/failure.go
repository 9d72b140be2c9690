package tunesim

import (
	"net/http"
	"net/url"
)

// Failure is a fault FailNext injects into the next calls.
type Failure int

// Failures, answered the way TUNE or what stands in front of it answers.
const (
	// FailIPRefused refuses the call because the caller's IP is not whitelisted.
	FailIPRefused Failure = iota + 1
	// FailPermissionDenied says the user may not perform the action.
	FailPermissionDenied
	// FailAPIDisabled says API access is not enabled for the key's account.
	FailAPIDisabled
	// FailRateLimit answers TUNE's rate-limit error whatever the rate.
	FailRateLimit
	// FailServerError answers HTTP 500 with an HTML page.
	FailServerError
	// FailGatewayTimeout answers HTTP 504 with an HTML page.
	FailGatewayTimeout
	// FailHTML answers HTTP 200 with an HTML page instead of JSON.
	FailHTML
	// FailSlow answers normally after Options.SlowAnswer, unless the
	// client gives up first.
	FailSlow
)

var failureNames = map[Failure]string{
	FailIPRefused:        "ip_refused",
	FailPermissionDenied: "permission_denied",
	FailAPIDisabled:      "api_disabled",
	FailRateLimit:        "rate_limited",
	FailServerError:      "server_error",
	FailGatewayTimeout:   "gateway_timeout",
	FailHTML:             "html",
	FailSlow:             "slow",
}

// String is the failure's name, as recorded in Call.Failure.
func (f Failure) String() string {
	if name, ok := failureNames[f]; ok {
		return name
	}
	return "failure(" + itoa(int(f)) + ")"
}

// injected answers a call with failure f (any but FailSlow).
func (s *Simulator) injected(f Failure, form url.Values, ip string) answer {
	switch f {
	case FailIPRefused:
		return failure(form, apiError{PublicMessage: "API call refused: IP address " + ip + " is not white-listed for API access to this network"})
	case FailPermissionDenied:
		return failure(form, apiError{PublicMessage: "User is not permitted to perform this action"})
	case FailAPIDisabled:
		if _, affiliate := form["api_key"]; affiliate {
			return failure(form, apiError{PublicMessage: "Affiliate API feature is disabled"})
		}
		return failure(form, apiError{PublicMessage: "API access is not enabled for this network"})
	case FailRateLimit:
		return s.rateLimitAnswer(form)
	case FailServerError:
		return htmlAnswer(http.StatusInternalServerError, "500 Internal Server Error")
	case FailGatewayTimeout:
		return htmlAnswer(http.StatusGatewayTimeout, "504 Gateway Time-out")
	case FailHTML:
		page := `<!DOCTYPE html><html><head><title>Sign in - Network Portal</title></head>` +
			`<body><form method="post" action="/login"><input name="email"></form></body></html>`
		return answer{status: http.StatusOK, contentType: "text/html; charset=utf-8", body: []byte(page)}
	default:
		return htmlAnswer(http.StatusInternalServerError, "500 Internal Server Error")
	}
}

// rateLimitAnswer is TUNE's answer to a call past the rate limit.
func (s *Simulator) rateLimitAnswer(form url.Values) answer {
	return failure(form, apiError{PublicMessage: "API usage exceeded rate limit. Configured: " +
		itoa(s.opts.RateLimit) + "/" + s.opts.RateWindow.String() + " window"})
}
