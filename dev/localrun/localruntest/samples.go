package localruntest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/trackly/tune-integration/dev/workspace"
	"github.com/trackly/tune-integration/internal/adminapi"
)

// Sample is a file of the module's events/ directory, named <prefix>-<variant>.json after the
// function it is for: a Lambda event, as `sam local invoke -e` sends it, or an admin payload
// ({"action": ...}), as `aws lambda invoke --payload` and trackly send it.
type Sample struct {
	// Name is the file's name.
	Name string
	// Function is the logical ID in template.yaml of the function the name's prefix names.
	Function string
	// Action is the action an admin payload names; "" for a Lambda event.
	Action string
	// Raw is the file as written.
	Raw []byte
	// Fields are its top-level fields.
	Fields map[string]json.RawMessage
}

// samplePrefixes maps the prefix of events/<prefix>-<variant>.json to its function.
var samplePrefixes = map[string]string{
	"postback": "PostbackFunction", "click": "ClickFunction", "attribution": "AttributionFunction",
	"offersync": "OfferSyncFunction", "admin": "AdminFunction", "reports": "ReportsFunction",
	"reconciliation": "ReconciliationFunction",
}

var sampleName = regexp.MustCompile(`^([a-z]+)-[a-z0-9-]+\.json$`)

// Samples returns every sample under events/, in the order of their names. A sample that is
// misnamed, is not a JSON object, or names an action that is not a string fails t and is left out.
func Samples(t testing.TB) []Sample {
	t.Helper()
	root, err := workspace.Root()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no samples under events/: %v", err)
	}
	var out []Sample
	for _, p := range paths {
		s := Sample{Name: filepath.Base(p)}
		m := sampleName.FindStringSubmatch(s.Name)
		if m == nil || samplePrefixes[m[1]] == "" {
			t.Errorf("events/%s: name it <function>-<variant>.json, function one of postback, click, attribution, offersync, reconciliation, admin, reports", s.Name)
			continue
		}
		s.Function = samplePrefixes[m[1]]
		if s.Raw, err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(s.Raw, &s.Fields); err != nil {
			t.Errorf("events/%s is not a JSON object: %v", s.Name, err)
			continue
		}
		if action, ok := s.Fields["action"]; ok {
			if err := json.Unmarshal(action, &s.Action); err != nil || s.Action == "" {
				t.Errorf("events/%s: action %s is not an action's name", s.Name, action)
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// AdminSamples returns the admin payloads under events/: the samples that name an action, told
// from the Lambda events beside them by that field alone. Admins invoke the functions that serve
// the actions of adminapi, so a sample for one of them that is not an admin payload fails t, and
// so does an admin payload for another function.
func AdminSamples(t testing.TB) []Sample {
	t.Helper()
	var out []Sample
	for _, s := range Samples(t) {
		admin := AdminInvoked(s.Function)
		switch {
		case admin && s.Action == "":
			t.Errorf("events/%s is not an admin payload: it names no action", s.Name)
		case !admin && s.Action != "":
			t.Errorf("events/%s is an admin payload for %s, which admins do not invoke", s.Name, s.Function)
		case admin:
			out = append(out, s)
		}
	}
	return out
}

// AdminInvoked reports whether admins invoke function: whether it serves actions of adminapi.
func AdminInvoked(function string) bool {
	return slices.ContainsFunc(adminapi.Actions(), func(a adminapi.Action) bool { return string(a.Function()) == function })
}

// Buffer is a bytes.Buffer that one goroutine may write while another reads: what a process or a
// command running beside the test prints.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what has been written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
