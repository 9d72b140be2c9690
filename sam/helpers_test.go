package sam_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/trackly/tune-integration/dev/localrun"
	"github.com/trackly/tune-integration/dev/samtemplate"
)

const root = ".."

var templatePath = filepath.Join(root, "template.yaml")

// functionIDs are the functions of the design, by logical ID.
var functionIDs = []string{"PostbackFunction", "ClickFunction", "AttributionFunction", "OfferSyncFunction", "ReconciliationFunction", "AdminFunction", "ReportsFunction"}

var (
	loadOnce sync.Once
	loaded   *samtemplate.Template
	loadErr  error
	rawDoc   map[string]any
)

// template returns template.yaml resolved with its defaults (in account 000000000000).
func template(t *testing.T) *samtemplate.Template {
	t.Helper()
	loadOnce.Do(func() {
		loaded, loadErr = samtemplate.Parse(templatePath, samtemplate.Options{})
		if loadErr != nil {
			return
		}
		var data []byte
		if data, loadErr = os.ReadFile(templatePath); loadErr == nil {
			loadErr = yaml.Unmarshal(data, &rawDoc)
		}
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

// raw returns the template as written, intrinsic tags dropped, at a path of mapping keys.
func raw(t *testing.T, keys ...string) any {
	t.Helper()
	template(t)
	return get(rawDoc, keys...)
}

func resource(t *testing.T, id string) *samtemplate.Resource {
	t.Helper()
	r, err := template(t).Resource(id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// get walks a resolved value along mapping keys.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// number reads a resolved number, which templates write bare or quoted.
func number(t *testing.T, v any) float64 {
	t.Helper()
	var n json.Number
	b, _ := json.Marshal(v)
	if err := json.Unmarshal(b, &n); err != nil {
		if err := json.Unmarshal([]byte(strings.Trim(string(b), `"`)), &n); err != nil {
			t.Fatalf("%v is not a number", v)
		}
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatalf("%v is not a number", v)
	}
	return f
}

func TestTheTemplateHasTheDesignsFunctions(t *testing.T) {
	tmpl := template(t)
	var got []string
	for id := range tmpl.Functions {
		got = append(got, id)
	}
	want := slices.Clone(functionIDs)
	for id := range localrun.Functions() {
		if !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("template functions %v, want %v (the design's and localrun's)", got, want)
	}
}
