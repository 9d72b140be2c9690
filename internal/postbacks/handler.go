// Package postbacks receives TUNE's conversion postbacks: it validates them,
// authenticates them, logs every one with its outcome, and answers 200 only once
// a postback is durably queued for attribution.
package postbacks

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trackly/tune-integration/internal/ids"
	"github.com/trackly/tune-integration/internal/postbacktoken"
	"github.com/trackly/tune-integration/internal/trackly"
	"github.com/trackly/tune-integration/internal/validate"
)

const maxBodyBytes = 64 << 10

// Queue durably queues a message.
type Queue interface {
	SendJSON(ctx context.Context, v any) error
}

// Store is the storage the postback handler needs.
type Store interface {
	GetIntegration(ctx context.Context, integrationID string) (trackly.Integration, error)
	LogPostback(ctx context.Context, e trackly.PostbackLogEntry) error
}

// ClickVerifier proves a click id was issued by this system and names its link.
type ClickVerifier interface {
	Verify(clickID string) (linkID string, err error)
}

// Handler serves GET and POST /api/postbacks/tune.
type Handler struct {
	queue  Queue
	store  Store
	clicks ClickVerifier
	logger *slog.Logger
	now    func() time.Time
}

// NewHandler returns a postback handler.
func NewHandler(q Queue, st Store, clicks ClickVerifier, logger *slog.Logger, now func() time.Time) *Handler {
	return &Handler{queue: q, store: st, clicks: clicks, logger: logger, now: now}
}

// response is the JSON body of every answer.
type response struct {
	Status     trackly.PostbackOutcome `json:"status"`
	PostbackID string                  `json:"postback_id"`
	Error      string                  `json:"error,omitempty"`
	Errors     []*validate.FieldError  `json:"errors,omitempty"`
}

// ServeHTTP handles one postback.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := h.now().UTC()
	id := ids.New("pb_", 16)
	entry := trackly.PostbackLogEntry{
		PostbackID: id,
		ReceivedAt: now,
		Method:     r.Method,
		SourceIP:   r.RemoteAddr,
		UserAgent:  truncate(r.UserAgent(), 256),
		UpdatedAt:  now,
	}

	values, err := readValues(r)
	if err != nil {
		h.finish(ctx, w, entry, http.StatusBadRequest, trackly.PostbackInvalid, []*validate.FieldError{{Field: "body", Message: err.Error()}})
		return
	}
	entry.Query, entry.Params = masked(values)
	params, dupErrs := flatten(values)
	msg, errs := parse(params)
	if errs = append(dupErrs, errs...); len(errs) > 0 {
		h.finish(ctx, w, entry, http.StatusBadRequest, trackly.PostbackInvalid, errs)
		return
	}

	linkID, err := h.clicks.Verify(msg.ClickID)
	if err != nil {
		h.finish(ctx, w, entry, http.StatusForbidden, trackly.PostbackRejected, []*validate.FieldError{{Field: "click_id", Message: err.Error()}})
		return
	}
	msg.LinkID = linkID
	if token := params["token"]; token != "" {
		owner, err := h.tokenOwner(ctx, token)
		if errors.Is(err, errBadToken) {
			h.finish(ctx, w, entry, http.StatusForbidden, trackly.PostbackRejected, []*validate.FieldError{{Field: "token", Message: "is not the postback token of any integration; copy the postback URL again with `trackly integrations postback-url`"}})
			return
		}
		if err != nil {
			h.logger.ErrorContext(ctx, "postback token check failed", "postback_id", id, "error", err)
			h.unavailable(ctx, w, entry)
			return
		}
		msg.TokenOwner = owner
	}

	msg.PostbackID, msg.ReceivedAt = id, now
	if err := h.queue.SendJSON(ctx, msg); err != nil {
		h.logger.ErrorContext(ctx, "queue postback failed", "postback_id", id, "error", err)
		h.unavailable(ctx, w, entry)
		return
	}
	h.finish(ctx, w, entry, http.StatusOK, trackly.PostbackAccepted, nil)
}

var errBadToken = errors.New("bad postback token")

// tokenOwner returns the integration whose postback token this is.
func (h *Handler) tokenOwner(ctx context.Context, token string) (string, error) {
	integrationID, ok := postbacktoken.IntegrationID(token)
	if !ok {
		return "", errBadToken
	}
	in, err := h.store.GetIntegration(ctx, integrationID)
	if errors.Is(err, trackly.ErrNotFound) {
		return "", errBadToken
	}
	if err != nil {
		return "", err
	}
	if !postbacktoken.Matches(token, in.PostbackTokenHash) {
		return "", errBadToken
	}
	return in.IntegrationID, nil
}

// unavailable answers 503 so that a sender that retries will retry.
func (h *Handler) unavailable(ctx context.Context, w http.ResponseWriter, entry trackly.PostbackLogEntry) {
	w.Header().Set("Retry-After", "30")
	entry.Reason = "temporarily unavailable; not queued"
	h.finish(ctx, w, entry, http.StatusServiceUnavailable, trackly.PostbackFailed, nil)
}

// finish logs the postback with its outcome and answers.
func (h *Handler) finish(ctx context.Context, w http.ResponseWriter, entry trackly.PostbackLogEntry, status int, outcome trackly.PostbackOutcome, errs []*validate.FieldError) {
	entry.Outcome, entry.HTTPStatus = outcome, status
	res := response{Status: outcome, PostbackID: entry.PostbackID, Errors: errs}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		res.Error = strings.Join(msgs, "; ")
		entry.Reason = res.Error
	} else if entry.Reason != "" {
		res.Error = entry.Reason
	}
	if err := h.store.LogPostback(ctx, entry); err != nil {
		// The answer stands: an accepted postback is already queued, and
		// attribution records its outcome in the log as well.
		h.logger.ErrorContext(ctx, "write postback log failed", "postback_id", entry.PostbackID, "error", err)
	}
	h.logger.InfoContext(ctx, "postback", "postback_id", entry.PostbackID, "outcome", outcome, "status", status, "reason", entry.Reason)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(res)
}

// readValues returns the query parameters and, for a form POST, the form fields.
func readValues(r *http.Request) (url.Values, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errors.New("the query string is not valid URL encoding")
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return values, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		if ct == "" || ct == "text/plain" {
			return values, nil
		}
		return nil, errors.New("POST bodies must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errors.New("the form body is not valid URL encoding or is too large")
	}
	for name, vs := range r.PostForm {
		values[name] = append(values[name], vs...)
	}
	return values, nil
}

// masked returns the parameters as a query string and a map, the token hidden.
func masked(values url.Values) (string, map[string]string) {
	params := map[string]string{}
	safe := url.Values{}
	for name, vs := range values {
		for _, v := range vs {
			if name == "token" {
				v = postbacktoken.Mask(v)
			}
			safe.Add(name, truncate(v, 600))
		}
		params[name] = safe.Get(name)
	}
	return safe.Encode(), params
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
