package main

import (
	"encoding/json"
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
	// empty reports whether a page holds no records and, if so, the line the
	// table prints instead of its rows.
	empty func(page A) (line string, ok bool)
	// table prints the rows of a page that holds records.
	table func(w io.Writer, page A)
}

// setUp adds --limit and --cursor to the command of p, whose run sends p's
// request, prints the page and, after a table, tells on stderr how to ask for
// the next page: the answer's next_cursor, which every paged answer has.
func (l pagedList[A]) setUp(c *cli, p *payload) {
	p.paging(l.limit, l.cursor, l.what)
	p.cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		raw, err := c.invoke(cmd.Context(), l.action, p)
		if err != nil {
			return err
		}
		if _, err := emitV(c, raw, l.print); err != nil {
			return err
		}
		var page struct {
			NextCursor string `json:"next_cursor"`
		}
		if c.output == "table" && json.Unmarshal(raw, &page) == nil && page.NextCursor != "" {
			printf(c.stderr, "More: repeat with --cursor %s\n", page.NextCursor)
		}
		return nil
	}
}

// print prints a page as a table.
func (l pagedList[A]) print(w io.Writer, page A) {
	if line, ok := l.empty(page); ok {
		printf(w, "%s\n", line)
		return
	}
	l.table(w, page)
}
