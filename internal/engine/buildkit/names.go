package buildkit

import (
	"fmt"
	"unicode/utf8"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/schedule"
)

// sendable fails for a request whose context holds a name BuildKit's file sync cannot send:
// one that is not UTF-8 (the sync sends names as protobuf strings, and the build would fail
// with "string field contains invalid UTF-8", naming nothing). Named contexts are checked too.
func sendable(req schedule.Request) error {
	if err := utf8Names(req.Context, ""); err != nil {
		return err
	}
	for name, nc := range req.Contexts {
		if err := utf8Names(nc.Entries, " of the context "+name); err != nil {
			return err
		}
	}
	return nil
}

func utf8Names(entries []inputs.Entry, where string) error {
	for _, e := range entries {
		if !utf8.ValidString(e.Name) {
			return fmt.Errorf("file name %s%s is not UTF-8: BuildKit cannot send it to the builder; rename it, or leave it out (.dockerignore or exclude:)", inputs.QuotePath(e.Name), where)
		}
	}
	return nil
}
