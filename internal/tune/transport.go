package tune

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// contextError reports that the caller's context ended the call.
func (c *Client) contextError(ctx context.Context, op string) *Error {
	err := ctx.Err()
	kind := Other
	if errors.Is(err, context.DeadlineExceeded) {
		kind = Timeout
	}
	e := c.fail(kind, op, "%v", err)
	e.cause = err
	return e
}

// transportError classifies a failed HTTP exchange; time-outs and broken
// connections are worth retrying. The message never includes the request URL: net/http's
// *url.Error puts the whole URL, key included, in its text.
func (c *Client) transportError(ctx context.Context, op string, err error) *Error {
	if ctx.Err() != nil {
		return c.contextError(ctx, op)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var (
		dnsErr *net.DNSError
		netErr net.Error
	)
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return c.fail(Unreachable, op, "host %s not found (DNS)", dnsErr.Name)
		}
		e := c.fail(Unreachable, op, "DNS lookup of %s failed: %s", dnsErr.Name, dnsErr.Err)
		e.transient = dnsErr.IsTemporary || dnsErr.IsTimeout
		return e
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return c.failTransient(Timeout, op, "no answer within %s", c.s.timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return c.fail(Unreachable, op, "connection refused by %s", c.host())
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return c.fail(Unreachable, op, "no route to %s", c.host())
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return c.failTransient(Unreachable, op, "connection to %s broken: %v", c.host(), err)
	default:
		return c.fail(Other, op, "request to %s failed: %v", c.host(), err)
	}
}

// host is the endpoint's host, for messages.
func (c *Client) host() string {
	if u, err := url.Parse(c.s.endpoint); err == nil {
		return u.Host
	}
	return "the API host"
}

var htmlTitle = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`) })

// describeBody summarises an unexpected answer for an error message without
// quoting it at length.
func describeBody(contentType string, body []byte) string {
	if contentType == "" {
		contentType = "no content type"
	}
	desc := contentType + ", " + byteCount(len(body))
	if m := htmlTitle().FindSubmatch(body); m != nil {
		title := strings.Join(strings.Fields(string(m[1])), " ")
		if len(title) > 80 {
			title = title[:80] + "..."
		}
		desc += ", title " + `"` + title + `"`
	}
	return desc
}

func byteCount(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return strconv.Itoa(n) + " bytes"
}
