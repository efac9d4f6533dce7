package scaffold

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// missingSources returns a check for each COPY/ADD source (not --from, not a URL, without
// wildcards or variables) that is not in the image's folder: the Dockerfile was written for
// another build context (`docker build -f dir/Dockerfile other`), which init cannot guess.
func missingSources(fsys fs.FS, img *Image, src []byte) []string {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil
	}
	var checks []string
	for _, n := range res.AST.Children {
		kind := strings.ToUpper(n.Value)
		if (kind != "COPY" && kind != "ADD") || hasFromFlag(n.Flags) {
			continue
		}
		var args []string
		for a := n.Next; a != nil; a = a.Next {
			args = append(args, a.Value)
		}
		for _, s := range sources(args) {
			if _, err := fs.Stat(fsys, path.Join(img.Context, s)); err != nil {
				checks = append(checks, fmt.Sprintf("%s line %d copies %s, which is not in %s: the Dockerfile is "+
					"probably built with another context; set context: to that folder and keep the Dockerfile inside it",
					kind, n.StartLine, s, img.Context))
			}
		}
	}
	return checks
}

func hasFromFlag(flags []string) bool {
	for _, f := range flags {
		if strings.HasPrefix(f, "--from") {
			return true
		}
	}
	return false
}

// sources are the literal local sources among a COPY/ADD's arguments (all but the last).
func sources(args []string) []string {
	if len(args) < 2 {
		return nil
	}
	var out []string
	for _, a := range args[:len(args)-1] {
		if strings.ContainsAny(a, "*?[$") || strings.Contains(a, "://") || strings.HasPrefix(a, "<<") {
			continue
		}
		out = append(out, path.Clean(strings.TrimPrefix(a, "/")))
	}
	return out
}
