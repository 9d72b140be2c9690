package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/trackly/tune-integration/internal/adminapi"
)

// pagedList is a command that lists records a page at a time, the page's
// answer an A: conversions, orphans, postbacks, imported offers, sync runs.
type pagedList[A any] struct {
	action adminapi.Action
	// what names the records, for --limit's help: "conversions".
	what string
	// limit and cursor are the request's paging fields.
	limit  *int
	cursor *string
	// next reads the cursor of the next page from an answer; "" after the last page.
	next func(A) string
	// table prints one page.
	table func(w io.Writer, page A)
}

// setUp adds --limit and --cursor to the command of p, whose run sends p's
// request, prints the page and, after a table, tells on stderr how to ask for
// the next page.
func (l pagedList[A]) setUp(c *cli, p *payload) {
	p.paging(l.limit, l.cursor, l.what)
	p.cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		raw, err := c.invoke(cmd.Context(), l.action, p)
		if err != nil {
			return err
		}
		page, err := emitV(c, raw, l.table)
		if err != nil {
			return err
		}
		if next := l.next(page); next != "" && c.output == "table" {
			fmt.Fprintf(c.stderr, "More: repeat with --cursor %s\n", next)
		}
		return nil
	}
}
