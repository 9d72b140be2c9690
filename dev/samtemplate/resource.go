package samtemplate

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"gopkg.in/yaml.v3"
)

// Resource is any resource of a template, resolved: what checks of a template (policies, alarms,
// build metadata) read beyond the functions, tables and queues of a Template.
type Resource struct {
	LogicalID string
	Type      string
	// DeletionPolicy and UpdateReplacePolicy are the resource attributes, or "".
	DeletionPolicy      string
	UpdateReplacePolicy string
	// Metadata and Properties are resolved as the template's parameters and this Template's resource
	// identities give them; a function's Properties have the template's Globals applied. Fn::GetAtt
	// of an attribute the evaluator does not know (such as the ARN of a log group) resolves to
	// "<LogicalID>.<Attribute>".
	Metadata   map[string]any
	Properties map[string]any
}

// rawTemplate keeps what Resource and Outputs evaluate on demand.
type rawTemplate struct {
	mu      sync.Mutex // the evaluator is not safe for concurrent use
	eval    *evaluator
	globals *yaml.Node
	outputs *yaml.Node
}

// ResourceIDs returns the logical IDs of the template's resources (those whose Condition is true),
// sorted.
func (t *Template) ResourceIDs() []string {
	if t.raw == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(t.raw.eval.resources))
}

// Resource resolves one resource of the template.
func (t *Template) Resource(logicalID string) (*Resource, error) {
	if t.raw == nil {
		return nil, fmt.Errorf("resource %s: template not parsed", logicalID)
	}
	t.raw.mu.Lock()
	defer t.raw.mu.Unlock()
	e := t.raw.eval
	r, ok := e.resources[logicalID]
	if !ok {
		return nil, fmt.Errorf("no resource %s", logicalID)
	}
	e.placeholders = true
	defer func() { e.placeholders = false }()
	props := r.properties
	if r.typ == typeFunction {
		props = mergeGlobals(t.raw.globals, props)
	}
	out := &Resource{LogicalID: logicalID, Type: r.typ, Metadata: map[string]any{}, Properties: map[string]any{}}
	for key, dst := range map[string]*map[string]any{"Metadata": &out.Metadata, "Properties": &out.Properties} {
		n := child(r.node, key)
		if key == "Properties" {
			n = props
		}
		if n == nil {
			continue
		}
		v, err := e.eval(n)
		if err != nil {
			return nil, fmt.Errorf("resource %s: %s: %w", logicalID, key, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resource %s: %s is not a mapping", logicalID, key)
		}
		*dst = m
	}
	for key, dst := range map[string]*string{"DeletionPolicy": &out.DeletionPolicy, "UpdateReplacePolicy": &out.UpdateReplacePolicy} {
		if n := child(r.node, key); n != nil {
			s, err := e.evalString(n)
			if err != nil {
				return nil, fmt.Errorf("resource %s: %s: %w", logicalID, key, err)
			}
			*dst = s
		}
	}
	return out, nil
}

// Outputs resolves the template's Outputs section: each output's Description, Value and Export,
// with the conventions of Resource.
func (t *Template) Outputs() (map[string]map[string]any, error) {
	if t.raw == nil {
		return nil, fmt.Errorf("outputs: template not parsed")
	}
	t.raw.mu.Lock()
	defer t.raw.mu.Unlock()
	e := t.raw.eval
	e.placeholders = true
	defer func() { e.placeholders = false }()
	out := map[string]map[string]any{}
	err := e.eachIncluded(t.raw.outputs, "output", func(name string, n *yaml.Node) error {
		v, err := e.eval(n)
		if err != nil {
			return fmt.Errorf("output %s: %w", name, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("output %s is not a mapping", name)
		}
		out[name] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
