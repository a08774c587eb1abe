package layout

import (
	"errors"
	"fmt"
	"strings"
)

// ParamError is one problem with one command-line parameter. Param and
// Value are what the kernel command line held, so the message can be
// matched to the line by eye; Reason says what is wrong and Hint how to
// fix it.
type ParamError struct {
	Param  string // the parameter's name, like "ramdax.ns" or "memmap"
	Value  string // the value as seen, without the quotes
	Reason string // what is wrong
	Hint   string // how to fix it; may be empty
	// Source is empty for the command line; for a bootconfig it says
	// where, like "bootconfig line 12".
	Source string
}

func (e *ParamError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source + ": ")
	}
	b.WriteString(e.Param)
	if e.Value != "" {
		fmt.Fprintf(&b, "=%q", e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Errors is every problem found in one command line, in the order of the
// line. Parse and Plan return it as their error so that callers can log
// each line on its own, or use errors.As to reach a *ParamError.
type Errors []*ParamError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is and errors.As look at each *ParamError.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// err returns es as an error, or a nil interface (not a nil Errors) when
// there is nothing to report.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// AsErrors returns the problems behind an error from Parse or Plan, one
// per parameter. It returns nil for a nil error and for errors that hold
// no *ParamError.
func AsErrors(err error) Errors {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var pe *ParamError
	if errors.As(err, &pe) {
		return Errors{pe}
	}
	return nil
}
