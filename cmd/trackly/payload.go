package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// payload binds flags to the fields of an action's JSON payload, one flag per
// field: a flag the user did not set leaves its field out, so that the
// function applies its own default (or, on update, keeps the stored value).
type payload struct {
	fs   *pflag.FlagSet
	sets []func(map[string]any)
}

func newPayload(cmd *cobra.Command) *payload { return &payload{fs: cmd.Flags()} }

func (p *payload) str(flag, field, usage string) *string {
	return p.strP(flag, "", field, usage)
}

func (p *payload) strP(flag, shorthand, field, usage string) *string {
	v := new(string)
	p.fs.StringVarP(v, flag, shorthand, "", usage)
	p.bind(flag, field, func() any { return *v })
	return v
}

func (p *payload) integer(flag, field, usage string) *int {
	v := new(int)
	p.fs.IntVar(v, flag, 0, usage)
	p.bind(flag, field, func() any { return *v })
	return v
}

func (p *payload) boolean(flag, field, usage string) *bool {
	v := new(bool)
	p.fs.BoolVar(v, flag, false, usage)
	p.bind(flag, field, func() any { return *v })
	return v
}

func (p *payload) bind(flag, field string, value func() any) {
	p.sets = append(p.sets, func(m map[string]any) {
		if p.fs.Changed(flag) {
			m[field] = value()
		}
	})
}

// build returns the payload of action with the fields whose flags were set.
func (p *payload) build(action string) map[string]any {
	m := map[string]any{"action": action}
	for _, set := range p.sets {
		set(m)
	}
	return m
}

// paging adds --limit and --cursor.
func (p *payload) paging(what string) {
	p.integer("limit", "limit", "at most this many "+what+" per page")
	p.str("cursor", "cursor", "continue after the page that returned this cursor")
}

// integrationRef takes an integration id from --integration or, where
// positional is true, from the command's only argument.
type integrationRef struct {
	flag       *string
	positional bool
}

func (c *cli) addIntegrationFlag(cmd *cobra.Command, positional bool) *integrationRef {
	ref := &integrationRef{flag: new(string), positional: positional}
	cmd.Flags().StringVarP(ref.flag, "integration", "i", "", "integration id (integration_id), e.g. in_demo")
	_ = cmd.RegisterFlagCompletionFunc("integration", c.completeIntegrations)
	if positional {
		cmd.Args = cobra.MaximumNArgs(1)
		cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return c.completeIntegrations(cmd, args, toComplete)
		}
	} else {
		markRequired(cmd, "integration")
	}
	return ref
}

// id returns the integration id the command line names.
func (r *integrationRef) id(args []string) (string, error) {
	id := *r.flag
	if r.positional && len(args) == 1 {
		if id != "" && id != args[0] {
			return "", usagef("the integration is %q or %q? pass it once", args[0], id)
		}
		id = args[0]
	}
	if id == "" {
		return "", usagef("which integration? pass --integration ID")
	}
	return id, nil
}

// completeIntegrations completes integration ids from list_integrations, when a target is configured.
func (c *cli) completeIntegrations(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	defer cancel()
	raw, err := c.invoke(ctx, adminFunction, map[string]any{"action": "list_integrations"})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var list struct {
		Integrations []struct {
			IntegrationID string `json:"integration_id"`
			Name          string `json:"name"`
		} `json:"integrations"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := make([]string, 0, len(list.Integrations))
	for _, in := range list.Integrations {
		out = append(out, in.IntegrationID+"\t"+in.Name)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
