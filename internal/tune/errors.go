package tune

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// ErrorKind classifies a failed TUNE call by what an admin should do about it.
type ErrorKind string

// Error kinds. Their values are stable and may be stored.
const (
	// UnknownNetwork means TUNE does not know the network id.
	UnknownNetwork ErrorKind = "unknown_network"
	// KeyRejected means the key is wrong, revoked, or of the other kind.
	KeyRejected ErrorKind = "key_rejected"
	// PermissionDenied means API access is not enabled, or the key may not call the method.
	PermissionDenied ErrorKind = "permission_denied"
	// IPRefused means the network accepts this key only from whitelisted IPs.
	IPRefused ErrorKind = "ip_refused"
	// RateLimited means the API rate limit was still exceeded after retries.
	RateLimited ErrorKind = "rate_limited"
	// Unreachable means a DNS failure, or a refused or broken connection.
	Unreachable ErrorKind = "unreachable"
	// Timeout means no answer came in time.
	Timeout ErrorKind = "timeout"
	// NotTUNE means the answer was not TUNE's JSON envelope (an HTML page, a proxy...).
	NotTUNE ErrorKind = "not_tune"
	// ServerError means HTTP 5xx answers or gateway time-outs, after retries.
	ServerError ErrorKind = "server_error"
	// Other is any other failure, including unexpected data from TUNE.
	Other ErrorKind = "other"
)

var hints = map[ErrorKind]string{
	UnknownNetwork:   "check the network ID (the first part of the API host, e.g. \"demo\" in demo.api.hasoffers.com) and the API domain shown on TUNE's API page",
	KeyRejected:      "check the API key and its kind: a network API key (NetworkToken) and an affiliate API key (api_key) are not interchangeable; if the key was regenerated in TUNE, enter the new one",
	PermissionDenied: "the key is valid but may not do this: ask the network to enable API access for this account (affiliate API keys need the network's Affiliate API feature) or to grant the missing permission",
	IPRefused:        "the network restricts this key to whitelisted IPs; ask the network to whitelist this service's outbound IP address (for AWS Lambda, the Elastic IP of the NAT gateway) on TUNE's API page",
	RateLimited:      "the network's API rate limit (about 50 calls per 10 seconds) was exceeded even after back-off; another system may be using the same key; retry later",
	Unreachable:      "the API host could not be reached: check the network ID and API domain (DNS) and this service's outbound internet access; a refused connection can also mean the network blocks this IP",
	Timeout:          "TUNE did not answer in time; retry later, or raise the timeout for large queries",
	NotTUNE:          "the answer was not TUNE's API: check the network ID, API domain or base URL; a web page, proxy or captive portal answered instead",
	ServerError:      "TUNE answered with server errors or gateway time-outs after retries; retry later, and narrow heavy queries",
	Other:            "see the message from TUNE",
}

// Hint tells an admin what to do about an error of this kind.
func (k ErrorKind) Hint() string {
	if h, ok := hints[k]; ok {
		return h
	}
	return hints[Other]
}

// Error is a failed TUNE call. Its Message never contains the API key.
// Use errors.As to get it from any error returned by this package.
type Error struct {
	Kind ErrorKind
	// Op is the API method, such as "Offer::findAll", when one was called.
	Op string
	// Message says what happened, scrubbed of the key.
	Message string
	// cause is only ever a context error, never an error carrying a URL.
	cause error
	// transient marks a failure worth retrying.
	transient bool
}

// Error implements error.
func (e *Error) Error() string {
	if e.Op == "" {
		return "tune: " + string(e.Kind) + ": " + e.Message
	}
	return "tune: " + e.Op + ": " + string(e.Kind) + ": " + e.Message
}

// Hint tells an admin what to do about the error.
func (e *Error) Hint() string { return e.Kind.Hint() }

// Unwrap returns context.Canceled or context.DeadlineExceeded when the
// caller's context ended the call, and nil otherwise.
func (e *Error) Unwrap() error { return e.cause }

const redacted = "****"

// scrubber removes a secret from text, in the forms it takes in URLs too.
type scrubber []string

func newScrubber(secret string) scrubber {
	if secret == "" {
		return nil
	}
	forms := []string{secret}
	for _, f := range []string{url.QueryEscape(secret), url.PathEscape(secret)} {
		if f != secret {
			forms = append(forms, f, strings.ToLower(f))
		}
	}
	return forms
}

// scrub replaces every occurrence of the secret in s with "****".
func (sc scrubber) scrub(s string) string {
	for _, f := range sc {
		s = strings.ReplaceAll(s, f, redacted)
	}
	return s
}

var (
	ipWord = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\bip\b|ip address|ip-address|\b\d{1,3}(\.\d{1,3}){3}\b`)
	})
	netIDRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`network[ _-]?id`) })
)

// classify maps TUNE's error texts to a kind. TUNE has no error codes, so
// this matches case-insensitively on the phrases its errors are known to
// use, and on close variants of them.
func classify(text string) ErrorKind {
	m := strings.ToLower(text)
	switch {
	case containsAny(m, "rate limit", "ratelimit", "too many requests", "too many api"):
		return RateLimited
	case netIDRef().MatchString(m) && containsAny(m, "not valid", "invalid", "unknown", "not found", "does not exist"):
		return UnknownNetwork
	case containsAny(m, "whitelist", "white-list", "white list", "allowlist") ||
		(ipWord().MatchString(m) && containsAny(m, "refused", "denied", "not allowed", "blocked", "not authorized", "unauthorized", "restricted")):
		return IPRefused
	case containsAny(m, "not authenticated", "authentication failed", "invalid networktoken", "invalid network token",
		"invalid api key", "invalid api_key", "invalid key", "invalid token", "key is invalid", "key is not valid",
		"token is invalid", "token is not valid", "missing networktoken", "missing api_key", "no api key"):
		return KeyRejected
	case containsAny(m, "not permitted", "permission", "not enabled", "is disabled", "not allowed",
		"access denied", "not authorized", "unauthorized", "forbidden"):
		return PermissionDenied
	default:
		return Other
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
