package main

import (
	"encoding/json"
	"io"
	"text/tabwriter"
)

// printer writes a command's result: indented JSON with --json (or when there is no human
// form), otherwise the human form as an aligned table.
type printer struct {
	env  Env
	json bool
}

func (p printer) print(v any, human func(io.Writer)) error {
	if p.json || human == nil {
		enc := json.NewEncoder(p.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(p.env.Stdout, 2, 4, 2, ' ', 0)
	human(tw)
	return tw.Flush()
}
