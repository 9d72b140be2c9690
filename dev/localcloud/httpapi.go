package localcloud

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/trackly/tune-integration/dev/samtemplate"
)

// maxHTTPAPIPayload is API Gateway's limit on request bodies.
const maxHTTPAPIPayload = 10 << 20

// apiGatewayTimeFormat is the format of requestContext.time.
const apiGatewayTimeFormat = "02/Jan/2006:15:04:05 -0700"

// route is an HTTP API route and the function it integrates.
type route struct {
	samtemplate.HTTPAPIRoute
	fn       *function
	segments []string
}

func newRoute(r samtemplate.HTTPAPIRoute, fn *function) *route {
	return &route{HTTPAPIRoute: r, fn: fn, segments: strings.Split(strings.TrimPrefix(r.Path, "/"), "/")}
}

// segmentRank orders path segments by how specific they are: literals, then {name}, then {name+}.
func segmentRank(seg string) int {
	switch {
	case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "+}"):
		return 2
	case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"):
		return 1
	}
	return 0
}

// sortRoutes orders routes as API Gateway matches them: the most specific path first, then a
// specific method before ANY.
func sortRoutes(routes []*route) {
	slices.SortStableFunc(routes, func(a, b *route) int {
		for i := 0; i < len(a.segments) && i < len(b.segments); i++ {
			if d := segmentRank(a.segments[i]) - segmentRank(b.segments[i]); d != 0 {
				return d
			}
		}
		if d := len(b.segments) - len(a.segments); d != 0 {
			return d
		}
		return boolRank(a.Method == "ANY") - boolRank(b.Method == "ANY")
	})
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// match returns the path parameters if the route matches a request's method and escaped path.
func (r *route) match(method, escapedPath string) (map[string]string, bool) {
	if r.Method != "ANY" && r.Method != method {
		return nil, false
	}
	parts := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	params := map[string]string{}
	for i, seg := range r.segments {
		if i >= len(parts) {
			return nil, false
		}
		switch segmentRank(seg) {
		case 0:
			if unescapePath(parts[i]) != seg {
				return nil, false
			}
		case 1:
			if parts[i] == "" {
				return nil, false
			}
			params[strings.Trim(seg, "{}")] = unescapePath(parts[i])
		case 2:
			rest := strings.Join(parts[i:], "/")
			if rest == "" {
				return nil, false
			}
			params[strings.TrimSuffix(strings.Trim(seg, "{}"), "+")] = unescapePath(rest)
			return params, true
		}
	}
	if len(parts) != len(r.segments) {
		return nil, false
	}
	if len(params) == 0 {
		params = nil
	}
	return params, true
}

// unescapePath decodes a percent-encoded path, or returns it as it is if it is malformed.
func unescapePath(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

// serveHTTPAPI serves a request as an API Gateway HTTP API with Lambda proxy integrations (payload
// format version 2.0) does.
func (c *Cloud) serveHTTPAPI(w http.ResponseWriter, r *http.Request) {
	var rt *route
	var params map[string]string
	for _, candidate := range c.routes {
		var ok bool
		if params, ok = candidate.match(r.Method, r.URL.EscapedPath()); ok {
			rt = candidate
			break
		}
	}
	requestID := newAPIGatewayRequestID()
	w.Header().Set("Apigw-Requestid", requestID)
	if rt == nil {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHTTPAPIPayload))
	if err != nil {
		writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	payload, err := json.Marshal(c.apiGatewayEvent(r, rt, params, body, requestID))
	if err != nil {
		c.log.Error("marshal HTTP API event", "error", err)
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	out, err := c.invoke(r.Context(), rt.fn, payload, lambdacontext.LambdaContext{})
	if err != nil {
		c.log.Error("HTTP API integration failed", "route", rt.RouteKey(), "function", rt.fn.LogicalID, "error", err)
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if err := writeAPIGatewayResponse(w, out); err != nil {
		c.log.Error("invalid HTTP API integration response", "route", rt.RouteKey(), "function", rt.fn.LogicalID, "error", err)
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
	}
}

// apiGatewayEvent builds the event of payload format version 2.0.
func (c *Cloud) apiGatewayEvent(r *http.Request, rt *route, params map[string]string, body []byte, requestID string) events.APIGatewayV2HTTPRequest {
	now := time.Now().UTC()
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	domain := r.Host
	if host, _, err := net.SplitHostPort(r.Host); err == nil {
		domain = host
	}
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		name = strings.ToLower(name)
		if name == "cookie" {
			for _, v := range values {
				for cookie := range strings.SplitSeq(v, ";") {
					if cookie = strings.TrimSpace(cookie); cookie != "" {
						cookies = append(cookies, cookie)
					}
				}
			}
			continue
		}
		headers[name] = strings.Join(values, ",")
	}
	headers["host"] = r.Host
	headers["x-forwarded-for"] = strings.TrimPrefix(headers["x-forwarded-for"]+","+sourceIP, ",")
	headers["x-forwarded-port"] = c.httpPort
	headers["x-forwarded-proto"] = "http"
	headers["x-amzn-trace-id"] = newTraceID(now)
	var query map[string]string
	if values, _ := url.ParseQuery(r.URL.RawQuery); len(values) > 0 {
		query = make(map[string]string, len(values))
		for k, vs := range values {
			query[k] = strings.Join(vs, ",")
		}
	}
	event := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              rt.RouteKey(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     rt.RouteKey(),
			AccountID:    c.template.AccountID,
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        rt.APIID,
			DomainName:   domain,
			DomainPrefix: strings.Split(domain, ".")[0],
			Time:         now.Format(apiGatewayTimeFormat),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.EscapedPath(),
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isTextContent(r.Header.Get("Content-Type")) {
			event.Body = string(body)
		} else {
			event.Body = base64.StdEncoding.EncodeToString(body)
			event.IsBase64Encoded = true
		}
	}
	return event
}

// isTextContent tells whether API Gateway passes a body of this content type as text rather than
// base64: only text/*, JSON, XML and JavaScript are; form bodies and a missing type are not.
func isTextContent(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mediaType, "text/") || slices.Contains([]string{"application/json", "application/xml", "application/javascript"}, mediaType)
}

// writeAPIGatewayResponse writes a function's output as API Gateway does for format 2.0: a JSON object
// with a statusCode is a response; any other output is a 200 JSON body.
func writeAPIGatewayResponse(w http.ResponseWriter, out []byte) error {
	var probe map[string]json.RawMessage
	if json.Unmarshal(out, &probe) != nil || probe["statusCode"] == nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
		return nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return err
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("status code %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return fmt.Errorf("base64 body: %w", err)
		}
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, cookie := range resp.Cookies {
		h.Add("Set-Cookie", cookie)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return nil
}

// writeMessage writes an API Gateway error such as {"message":"Not Found"}.
func writeMessage(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

// newAPIGatewayRequestID returns an ID of the form of API Gateway's, such as "JKJaXmPLvHcESHA=".
func newAPIGatewayRequestID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// newTraceID returns an X-Ray trace header value.
func newTraceID(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%x", now.Unix(), b)
}
