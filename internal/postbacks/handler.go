// Package postbacks receives TUNE's conversion postbacks: it validates them,
// authenticates them, logs every one with its outcome, and answers 200 only once
// a postback is durably queued for attribution.
package postbacks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trackly/tune-integration/internal/clickid"
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

// Store is the storage the postback handler needs: the link a click id names
// and the integrations whose tokens it checks, read through the handler's
// caches, and the postback log.
type Store interface {
	GetLink(ctx context.Context, linkID string) (trackly.Link, error)
	GetIntegration(ctx context.Context, integrationID string) (trackly.Integration, error)
	LogPostback(ctx context.Context, e trackly.PostbackLogEntry) error
}

// ClickVerifier proves a click id was issued by this system and names its link.
// Its error wraps clickid.ErrForged for a click id this system did not issue;
// any other error means the click id could not be checked now (the signing key
// could not be loaded), and the postback is answered 503 for TUNE to retry.
type ClickVerifier interface {
	Verify(clickID string) (linkID string, err error)
}

// Handler serves GET and POST /api/postbacks/tune. It keeps the links and
// integrations it reads (see IntegrationTTL), so build one per function
// instance and reuse it.
type Handler struct {
	queue        Queue
	store        Store
	clicks       ClickVerifier
	logger       *slog.Logger
	now          func() time.Time
	links        *cache[string]     // link id -> its integration's id
	integrations *cache[tokenCheck] // integration id -> what checks its postbacks
}

// tokenCheck is what the handler keeps of an integration: what it needs to
// check a postback's token.
type tokenCheck struct {
	tokenHash    string
	requireToken bool
}

// NewHandler returns a postback handler.
func NewHandler(q Queue, st Store, clicks ClickVerifier, logger *slog.Logger, now func() time.Time) *Handler {
	return &Handler{
		queue: q, store: st, clicks: clicks, logger: logger, now: now,
		links: newCache[string](0), integrations: newCache[tokenCheck](IntegrationTTL),
	}
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
		UserAgent:  truncate(loggable(r.UserAgent()), 256),
		UpdatedAt:  now,
	}

	values, err := readValues(r)
	if err != nil {
		h.finish(ctx, w, entry, http.StatusBadRequest, trackly.PostbackInvalid, []*validate.FieldError{{Field: "body", Message: err.Error()}})
		return
	}
	entry.Query, entry.Params = masked(values)
	if errs := checkText(values); len(errs) > 0 {
		h.finish(ctx, w, entry, http.StatusBadRequest, trackly.PostbackInvalid, errs)
		return
	}
	params, dupErrs := flatten(values)
	msg, notes, errs := parse(params)
	if errs = append(dupErrs, errs...); len(errs) > 0 {
		h.finish(ctx, w, entry, http.StatusBadRequest, trackly.PostbackInvalid, errs)
		return
	}
	entry.Note = strings.Join(notes, "; ")

	linkID, err := h.clicks.Verify(msg.ClickID)
	if errors.Is(err, clickid.ErrForged) {
		h.finish(ctx, w, entry, http.StatusForbidden, trackly.PostbackRejected, []*validate.FieldError{{Field: "click_id", Message: err.Error()}})
		return
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "postback click id check failed", "postback_id", id, "error", err)
		h.unavailable(ctx, w, entry)
		return
	}
	msg.LinkID = linkID
	owner, refusal, err := h.authorize(ctx, linkID, params["token"])
	if err != nil {
		h.logger.ErrorContext(ctx, "postback token check failed", "postback_id", id, "error", err)
		h.unavailable(ctx, w, entry)
		return
	}
	if refusal != "" {
		h.finish(ctx, w, entry, http.StatusForbidden, trackly.PostbackRejected, []*validate.FieldError{{Field: "token", Message: refusal}})
		return
	}
	msg.TokenOwner = owner

	msg.PostbackID, msg.ReceivedAt = id, now
	h.accept(ctx, w, entry, msg)
}

// accept queues an authorized postback and answers. Only the send is what
// durability needs: the log entry (accepted) is written meanwhile, and the
// answer waits for both, so that nothing is left running, but only the send
// decides it. When the send fails, the postback is logged failed, which
// replaces the accepted entry.
func (h *Handler) accept(ctx context.Context, w http.ResponseWriter, entry trackly.PostbackLogEntry, msg Message) {
	accepted, res := judged(entry, http.StatusOK, trackly.PostbackAccepted, nil)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		h.log(ctx, accepted)
	}()
	err := h.queue.SendJSON(ctx, msg)
	<-logged
	if err != nil {
		h.logger.ErrorContext(ctx, "queue postback failed", "postback_id", entry.PostbackID, "error", err)
		h.unavailable(ctx, w, entry)
		return
	}
	h.respond(ctx, w, accepted, res)
}

const copyURL = "; copy the postback URL again with `trackly integrations postback-url`"

// authorize checks a postback's token ("" when none came) against the link its
// click id names. It returns the integration the token belongs to ("" without
// a token), or why the token is refused, or the error of a read. A postback
// whose link no longer exists is judged on its token alone: attribution keeps
// it as an orphan.
func (h *Handler) authorize(ctx context.Context, linkID, token string) (owner, refusal string, err error) {
	linkIntegration, err := h.linkIntegration(ctx, linkID)
	if err != nil {
		return "", "", err
	}
	if token == "" {
		if linkIntegration == "" {
			return "", "", nil
		}
		ok, err := h.accepts(ctx, linkIntegration, func(c tokenCheck, found bool) bool { return !found || !c.requireToken })
		if err != nil || ok {
			return "", "", err
		}
		return "", "is required: the integration of this click's link (" + linkIntegration + ") requires its postback token" + copyURL, nil
	}
	tokenIntegration, ok := postbacktoken.IntegrationID(token)
	if !ok {
		return "", "is not the postback token of any integration" + copyURL, nil
	}
	if linkIntegration != "" && tokenIntegration != linkIntegration {
		return "", "is the postback token of another integration (" + tokenIntegration + ") than the one of this click's link (" + linkIntegration + ")" + copyURL, nil
	}
	ok, err = h.accepts(ctx, tokenIntegration, func(c tokenCheck, found bool) bool { return found && postbacktoken.Matches(token, c.tokenHash) })
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "is not the postback token of any integration" + copyURL, nil
	}
	return tokenIntegration, "", nil
}

// accepts reports whether accept holds for an integration (found is false when
// it does not exist). A kept record may accept; only a record read just now
// refuses, so that a rotated token or a lifted requirement counts at once.
func (h *Handler) accepts(ctx context.Context, integrationID string, accept func(c tokenCheck, found bool) bool) (bool, error) {
	check, found, readNow, err := h.tokenCheck(ctx, integrationID, false)
	if err != nil {
		return false, err
	}
	if accept(check, found) || readNow {
		return accept(check, found), nil
	}
	check, found, _, err = h.tokenCheck(ctx, integrationID, true)
	if err != nil {
		return false, err
	}
	return accept(check, found), nil
}

// linkIntegration returns the integration of a link, "" when the link does not
// exist (it was deleted).
func (h *Handler) linkIntegration(ctx context.Context, linkID string) (string, error) {
	now := h.now()
	if id, ok := h.links.get(linkID, now); ok {
		return id, nil
	}
	l, err := h.store.GetLink(ctx, linkID)
	if errors.Is(err, trackly.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read link %s: %w", linkID, err)
	}
	h.links.put(linkID, l.IntegrationID, now)
	return l.IntegrationID, nil
}

// tokenCheck returns what checks an integration's postbacks: kept, or read
// now (readNow) when fresh or not kept. found is false when the integration
// does not exist.
func (h *Handler) tokenCheck(ctx context.Context, integrationID string, fresh bool) (check tokenCheck, found, readNow bool, err error) {
	now := h.now()
	if !fresh {
		if check, ok := h.integrations.get(integrationID, now); ok {
			return check, true, false, nil
		}
	}
	in, err := h.store.GetIntegration(ctx, integrationID)
	if errors.Is(err, trackly.ErrNotFound) {
		h.integrations.forget(integrationID)
		return tokenCheck{}, false, true, nil
	}
	if err != nil {
		return tokenCheck{}, false, true, fmt.Errorf("read integration %s: %w", integrationID, err)
	}
	check = tokenCheck{tokenHash: in.PostbackTokenHash, requireToken: in.RequirePostbackToken}
	h.integrations.put(integrationID, check, now)
	return check, true, true, nil
}

// unavailable answers 503 so that a sender that retries will retry.
func (h *Handler) unavailable(ctx context.Context, w http.ResponseWriter, entry trackly.PostbackLogEntry) {
	w.Header().Set("Retry-After", "30")
	entry.Reason = "temporarily unavailable; not queued"
	h.finish(ctx, w, entry, http.StatusServiceUnavailable, trackly.PostbackFailed, nil)
}

// finish logs the postback with its outcome and answers.
func (h *Handler) finish(ctx context.Context, w http.ResponseWriter, entry trackly.PostbackLogEntry, status int, outcome trackly.PostbackOutcome, errs []*validate.FieldError) {
	entry, res := judged(entry, status, outcome, errs)
	h.log(ctx, entry)
	h.respond(ctx, w, entry, res)
}

// judged returns the log entry of a postback with its outcome, and the answer.
func judged(entry trackly.PostbackLogEntry, status int, outcome trackly.PostbackOutcome, errs []*validate.FieldError) (trackly.PostbackLogEntry, response) {
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
	return entry, res
}

// log writes the postback's entry to the postback log. A failed write does not
// change the answer: the send alone decides whether a postback is accepted,
// and attribution records an accepted postback's outcome in the log as well.
func (h *Handler) log(ctx context.Context, entry trackly.PostbackLogEntry) {
	if err := h.store.LogPostback(ctx, entry); err != nil {
		h.logger.ErrorContext(ctx, "write postback log failed", "postback_id", entry.PostbackID, "error", err)
	}
}

// respond answers with res, the outcome of the logged entry.
func (h *Handler) respond(ctx context.Context, w http.ResponseWriter, entry trackly.PostbackLogEntry, res response) {
	h.logger.InfoContext(ctx, "postback", "postback_id", entry.PostbackID, "outcome", entry.Outcome, "status", entry.HTTPStatus, "reason", entry.Reason)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(entry.HTTPStatus)
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

// masked returns the parameters as a query string and a map, the token
// hidden. The query string keeps every byte as sent (percent-encoded); the map
// leaves out the names and values that checkText refuses.
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
		if v := safe.Get(name); textProblem(name) == "" && textProblem(v) == "" {
			params[name] = v
		}
	}
	return safe.Encode(), params
}

// loggable returns s, or s quoted in Go syntax when it is not valid UTF-8,
// which no table can store as it is.
func loggable(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strconv.QuoteToASCII(s)
}

// truncate cuts s to at most n bytes, never inside a UTF-8 character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
