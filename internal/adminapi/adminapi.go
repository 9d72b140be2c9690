// Package adminapi is the admin contract: the actions AdminFunction,
// OfferSyncFunction and ReconciliationFunction serve, which function serves each, and each one's request
// and answer. A payload is {"action": "<action>", ...the request's fields},
// the same whether it comes from the trackly CLI, `aws lambda invoke` or a
// schedule; the answer is the action's answer type as JSON.
//
// The routers (internal/admin), the CLI (cmd/trackly) and the tests of
// events/ use these definitions, so each name and shape is written once.
// Requests and answers that the rules packages already define are aliased
// here, never restated; this package sits above them and knows nothing of
// AWS or Lambda.
package adminapi

// Action names an admin action: the "action" of a payload.
type Action string

// AdminFunction's actions: integrations, links, reports, conversions and the postback log.
const (
	CreateIntegration   Action = "create_integration"
	UpdateIntegration   Action = "update_integration"
	GetIntegration      Action = "get_integration"
	ListIntegrations    Action = "list_integrations"
	PostbackURL         Action = "postback_url"
	RotatePostbackToken Action = "rotate_postback_token"
	CreateLink          Action = "create_link"
	GetLink             Action = "get_link"
	Report              Action = "report"
	ListConversions     Action = "list_conversions"
	GetConversion       Action = "get_conversion"
	ChangeConversion    Action = "change_conversion"
	ListPostbacks       Action = "list_postbacks"
)

// OfferSyncFunction's actions: TUNE connections, offers and their syncs.
const (
	TestConnection   Action = "test_connection"
	ListRemoteOffers Action = "list_remote_offers"
	ImportOffers     Action = "import_offers"
	ListOffers       Action = "list_offers"
	SyncOffers       Action = "sync_offers"
	// SyncDue is also what the schedule sends: {"action":"sync_due"}.
	SyncDue      Action = "sync_due"
	ListSyncRuns Action = "list_sync_runs"
)

// ReconciliationFunction's actions: reconciliation with TUNE's conversions report.
const (
	ReconcileConversions   Action = "reconcile_conversions"
	ListReconciliationRuns Action = "list_reconciliation_runs"
	// ReconcileDue is also what the schedule sends: {"action":"reconcile_due"}.
	ReconcileDue Action = "reconcile_due"
)

// Function is the logical id, in template.yaml, of a function that serves admin actions.
type Function string

// Functions that serve admin actions.
const (
	AdminFunction          Function = "AdminFunction"
	OfferSyncFunction      Function = "OfferSyncFunction"
	ReconciliationFunction Function = "ReconciliationFunction"
)

// spec is one action of the contract.
type spec struct {
	action     Action
	function   Function
	newRequest func() any
	newAnswer  func() any
}

// served says that f serves a, which takes a Req and answers an Ans.
func served[Req, Ans any](a Action, f Function) spec {
	return spec{
		action:     a,
		function:   f,
		newRequest: func() any { return new(Req) },
		newAnswer:  func() any { return new(Ans) },
	}
}

// contract lists every action with its function, request and answer.
var contract = []spec{
	served[IntegrationSettings, Integration](CreateIntegration, AdminFunction),
	served[IntegrationUpdate, Integration](UpdateIntegration, AdminFunction),
	served[IntegrationRef, Integration](GetIntegration, AdminFunction),
	served[IntegrationsQuery, IntegrationList](ListIntegrations, AdminFunction),
	served[IntegrationRef, GlobalPostbackURL](PostbackURL, AdminFunction),
	served[IntegrationRef, GlobalPostbackURL](RotatePostbackToken, AdminFunction),
	served[LinkRequest, Link](CreateLink, AdminFunction),
	served[LinkRef, Link](GetLink, AdminFunction),
	served[ReportQuery, AccountReport](Report, AdminFunction),
	served[ConversionQuery, ConversionList](ListConversions, AdminFunction),
	served[ConversionRef, Conversion](GetConversion, AdminFunction),
	served[ConversionChange, ConversionChanged](ChangeConversion, AdminFunction),
	served[PostbackQuery, PostbackList](ListPostbacks, AdminFunction),

	served[ConnectionQuery, ConnectionResult](TestConnection, OfferSyncFunction),
	served[RemoteOfferQuery, RemotePage](ListRemoteOffers, OfferSyncFunction),
	served[ImportRequest, ImportResult](ImportOffers, OfferSyncFunction),
	served[OfferQuery, OfferList](ListOffers, OfferSyncFunction),
	served[SyncRequest, SyncRun](SyncOffers, OfferSyncFunction),
	served[SyncDueRequest, DueResult](SyncDue, OfferSyncFunction),
	served[SyncRunQuery, SyncRunList](ListSyncRuns, OfferSyncFunction),

	served[ReconcileRequest, ReconcileRun](ReconcileConversions, ReconciliationFunction),
	served[ReconcileRunQuery, ReconcileRunList](ListReconciliationRuns, ReconciliationFunction),
	served[ReconcileDueRequest, ReconcileDueResult](ReconcileDue, ReconciliationFunction),
}

// Actions lists every action, AdminFunction's first.
func Actions() []Action {
	out := make([]Action, len(contract))
	for i, s := range contract {
		out[i] = s.action
	}
	return out
}

func (a Action) spec() (spec, bool) {
	for _, s := range contract {
		if s.action == a {
			return s, true
		}
	}
	return spec{}, false
}

// Function returns the function that serves a, or "" when a is no action of the contract.
func (a Action) Function() Function {
	s, _ := a.spec()
	return s.function
}

// NewRequest returns a pointer to a new, zero request of a's type (what its
// payload decodes into), or nil when a is no action of the contract.
func (a Action) NewRequest() any {
	s, ok := a.spec()
	if !ok {
		return nil
	}
	return s.newRequest()
}

// NewAnswer returns a pointer to a new, zero answer of a's type, or nil when a
// is no action of the contract.
func (a Action) NewAnswer() any {
	s, ok := a.spec()
	if !ok {
		return nil
	}
	return s.newAnswer()
}

// Error types: the errorType of the function error an action fails with.
const (
	// ErrorInvalidInput is bad input; the message names the field.
	ErrorInvalidInput = "InvalidInput"
	// ErrorTUNE is TUNE failing or refusing.
	ErrorTUNE = "TUNEError"
	// ErrorInternal is any other failure (DynamoDB, SSM...).
	ErrorInternal = "InternalError"
)
