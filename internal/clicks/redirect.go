package clicks

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/trackly/tune-integration/internal/trackly"
)

// RedirectURL puts clickID into trackingURL: in place of every
// trackly.ClickIDPlaceholder (also URL-encoded), or else as the value of
// clickParam (default trackly.DefaultClickParam), replacing an existing value
// or appended. Every other parameter is kept as it was.
func RedirectURL(trackingURL, clickParam, clickID string) (string, error) {
	u, err := url.Parse(trackingURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("tracking URL %q is not an absolute http(s) URL", trackingURL)
	}
	escaped := url.QueryEscape(clickID)
	replaced := trackingURL
	for _, p := range []string{trackly.ClickIDPlaceholder, "%7Bclick_id%7D", "%7bclick_id%7d"} {
		replaced = strings.ReplaceAll(replaced, p, escaped)
	}
	if replaced != trackingURL {
		return replaced, nil
	}
	if clickParam == "" {
		clickParam = trackly.DefaultClickParam
	}
	base, fragment, _ := strings.Cut(trackingURL, "#")
	path, query, _ := strings.Cut(base, "?")
	var parts []string
	set := false
	for _, part := range strings.Split(query, "&") {
		if part == "" {
			continue
		}
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && n == clickParam {
			if !set {
				parts = append(parts, url.QueryEscape(clickParam)+"="+escaped)
				set = true
			}
			continue
		}
		parts = append(parts, part)
	}
	if !set {
		parts = append(parts, url.QueryEscape(clickParam)+"="+escaped)
	}
	out := path + "?" + strings.Join(parts, "&")
	if fragment != "" {
		out += "#" + fragment
	}
	return out, nil
}
