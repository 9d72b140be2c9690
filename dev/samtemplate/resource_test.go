package samtemplate

import (
	"slices"
	"testing"
)

func TestTemplateResourceAndOutputs(t *testing.T) {
	tmpl, err := Parse("../../template.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.Partition != "aws" || tmpl.Region != "us-east-1" || tmpl.AccountID != "000000000000" {
		t.Errorf("pseudo parameters %s %s %s", tmpl.Partition, tmpl.Region, tmpl.AccountID)
	}
	fn, err := tmpl.Resource("AttributionFunction")
	if err != nil {
		t.Fatal(err)
	}
	if fn.Type != typeFunction || fn.Metadata["BuildMethod"] != "makefile" || fn.Properties["Runtime"] != "provided.al2023" {
		t.Errorf("function resource (Globals applied) = %+v", fn)
	}
	if _, ok := fn.Properties["Policies"].([]any); !ok {
		t.Errorf("Policies = %#v", fn.Properties["Policies"])
	}
	api, err := tmpl.Resource("HttpApi")
	if err != nil {
		t.Fatal(err)
	}
	// An attribute the evaluator cannot know resolves to a placeholder.
	if got := api.Properties["AccessLogSettings"].(map[string]any)["DestinationArn"]; got != "HttpApiAccessLogs.Arn" {
		t.Errorf("DestinationArn = %v", got)
	}
	table, err := tmpl.Resource("ConversionsTable")
	if err != nil || table.DeletionPolicy != "Retain" || table.UpdateReplacePolicy != "Retain" {
		t.Errorf("ConversionsTable = %+v, %v", table, err)
	}
	if _, err := tmpl.Resource("Nope"); err == nil {
		t.Error("Resource of an unknown id succeeded")
	}
	// The placeholders are for Resource and Outputs only: parsing still refuses unknown attributes.
	if _, err := tmpl.raw.eval.getAtt("HttpApiAccessLogs", "Arn"); err == nil {
		t.Error("getAtt of an unsupported attribute succeeds outside Resource")
	}
	outputs, err := tmpl.Outputs()
	if err != nil {
		t.Fatal(err)
	}
	if outputs["AdminFunctionName"]["Value"] != "AdminFunction" || outputs["PostbackQueueURL"]["Value"] != tmpl.Queues["PostbackQueue"].URL {
		t.Errorf("outputs = %v", outputs)
	}

	test, err := Parse(testTemplate, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ids := test.ResourceIDs(); slices.Contains(ids, "ProdOnlyQueue") || !slices.Contains(ids, "WorkQueue") || !slices.IsSorted(ids) {
		t.Errorf("ResourceIDs = %v", ids)
	}
}
