package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/internal/adminapi"
)

// payload binds a command's flags to the fields of an action's request (an
// adminapi type), one flag per field. A field bound to a flag is sent when
// the user set the flag, even to its zero value, and left out when not, so
// that the function applies its own default (or, on update, keeps the stored
// value); the request's other fields are sent as their JSON tags say. The
// field's JSON name comes from the request type itself.
type payload struct {
	cmd   *cobra.Command
	req   any // a pointer to the request
	bound []boundField
}

// boundField is a request field set by a flag.
type boundField struct {
	flag  string
	name  string // the field's JSON name
	value any    // a pointer to the field
}

// newPayload binds flags of cmd to the fields of *req.
func newPayload(cmd *cobra.Command, req any) *payload { return &payload{cmd: cmd, req: req} }

func (p *payload) str(v *string, flag, usage string) { p.strP(v, flag, "", usage) }

func (p *payload) strP(v *string, flag, shorthand, usage string) {
	p.cmd.Flags().StringVarP(v, flag, shorthand, "", usage)
	p.bind(flag, v)
}

func (p *payload) integer(v *int, flag, usage string) {
	p.cmd.Flags().IntVar(v, flag, 0, usage)
	p.bind(flag, v)
}

func (p *payload) boolean(v *bool, flag, usage string) {
	p.cmd.Flags().BoolVar(v, flag, false, usage)
	p.bind(flag, v)
}

// optStr, optInt and optBool bind flags to pointer fields, which stay nil until their flag is set.
func (p *payload) optStr(v **string, flag, usage string) {
	p.cmd.Flags().Var(optional[string]{v}, flag, usage)
	p.bind(flag, v)
}

func (p *payload) optInt(v **int, flag, usage string) {
	p.cmd.Flags().Var(optional[int]{v}, flag, usage)
	p.bind(flag, v)
}

func (p *payload) optBool(v **bool, flag, usage string) {
	p.cmd.Flags().VarPF(optional[bool]{v}, flag, "", usage).NoOptDefVal = "true"
	p.bind(flag, v)
}

// account adds the required --account flag.
func (p *payload) account(v *string) {
	p.str(v, "account", "account id")
	markRequired(p.cmd, "account")
}

// paging adds --limit and --cursor.
func (p *payload) paging(limit *int, cursor *string, what string) {
	p.integer(limit, "limit", "at most this many "+what+" per page")
	p.str(cursor, "cursor", "continue after the page that returned this cursor")
}

func (p *payload) bind(flag string, field any) {
	name, ok := jsonName(reflect.ValueOf(p.req).Elem(), reflect.ValueOf(field).Pointer())
	if !ok {
		panic(fmt.Sprintf("trackly: --%s is bound to no field of %T", flag, p.req))
	}
	p.bound = append(p.bound, boundField{flag: flag, name: name, value: field})
}

// jsonName returns the JSON name of the field of struct v found at address
// addr, looking into embedded structs as encoding/json does.
func jsonName(v reflect.Value, addr uintptr) (string, bool) {
	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		if fv.Kind() == reflect.Struct {
			if f.Anonymous {
				if name, ok := jsonName(fv, addr); ok {
					return name, true
				}
			}
			continue
		}
		if fv.Addr().Pointer() == addr {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			return name, true
		}
	}
	return "", false
}

// MarshalJSON encodes the request with the fields of the flags set, and
// without those of the flags not set.
func (p *payload) MarshalJSON() ([]byte, error) {
	body, err := json.Marshal(p.req)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	for _, f := range p.bound {
		if !p.cmd.Flags().Changed(f.flag) {
			delete(fields, f.name)
			continue
		}
		if fields[f.name], err = json.Marshal(f.value); err != nil {
			return nil, err
		}
	}
	return json.Marshal(fields)
}

// optional is the value of a flag bound to a pointer field: setting the flag points the field at the value.
type optional[T string | int | bool] struct{ field **T }

func (o optional[T]) Set(s string) error {
	var v T
	switch p := any(&v).(type) {
	case *string:
		*p = s
	case *int:
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return err
		}
		*p = int(n)
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		*p = b
	}
	*o.field = &v
	return nil
}

func (o optional[T]) String() string {
	if *o.field == nil {
		var zero T
		return fmt.Sprint(zero)
	}
	return fmt.Sprint(**o.field)
}

// Type names the flag's value in help: string, int or bool.
func (o optional[T]) Type() string {
	var zero T
	return fmt.Sprintf("%T", zero)
}

// integrationFlag adds the required --integration/-i flag, bound to dst.
func (c *cli) integrationFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVarP(dst, "integration", "i", "", "integration id (integration_id), e.g. in_demo")
	_ = cmd.RegisterFlagCompletionFunc("integration", c.completeIntegrations)
	markRequired(cmd, "integration")
}

// integrationRef takes an integration id from --integration or from the command's only argument.
type integrationRef struct {
	flag string
}

// integrationArg adds --integration/-i and an optional argument, either of which names the integration.
func (c *cli) integrationArg(cmd *cobra.Command) *integrationRef {
	ref := &integrationRef{}
	cmd.Flags().StringVarP(&ref.flag, "integration", "i", "", "integration id (integration_id), e.g. in_demo")
	_ = cmd.RegisterFlagCompletionFunc("integration", c.completeIntegrations)
	cmd.Args = cobra.MaximumNArgs(1)
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return c.completeIntegrations(cmd, args, toComplete)
	}
	return ref
}

// id returns the integration id the command line names.
func (r *integrationRef) id(args []string) (string, error) {
	id := r.flag
	if len(args) == 1 {
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

// onIntegration sets up cmd to take an integration (see integrationArg) and to
// run with the integration's id.
func (c *cli) onIntegration(cmd *cobra.Command, run func(ctx context.Context, id string) error) *cobra.Command {
	ref := c.integrationArg(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := ref.id(args)
		if err != nil {
			return err
		}
		return run(cmd.Context(), id)
	}
	return cmd
}

// sendToIntegration sets up cmd to take an integration (see integrationArg),
// send action a request naming it and print the answer with table.
func sendToIntegration[V any](c *cli, cmd *cobra.Command, action adminapi.Action, table func(w io.Writer, v V)) *cobra.Command {
	return c.onIntegration(cmd, func(ctx context.Context, id string) error {
		return send(ctx, c, action, adminapi.IntegrationRef{IntegrationID: id}, table)
	})
}

// completeIntegrations completes integration ids from list_integrations, when a target is configured.
func (c *cli) completeIntegrations(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	defer cancel()
	raw, err := c.invoke(ctx, adminapi.ListIntegrations, adminapi.IntegrationsQuery{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var list adminapi.IntegrationList
	if json.Unmarshal(raw, &list) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := make([]string, 0, len(list.Integrations))
	for _, in := range list.Integrations {
		out = append(out, printable(in.IntegrationID)+"\t"+printable(in.Name))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
