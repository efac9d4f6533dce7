package scaffold

import (
	"github.com/imagemake/imagemake/internal/dockerfile"
)

// source is one path a Dockerfile reads from its build context.
type source struct {
	Path string // relative to the context, may be a pattern; "" when Raw cannot be expanded before the build
	Raw  string // as written
	Line int
}

// contextSources lists the context paths every stage of a Dockerfile reads (COPY and ADD
// without --from, RUN --mount=type=bind without from=), expanded with the build args given and
// the Dockerfile's defaults as a build would.
func contextSources(src []byte, args map[string]string) []source {
	info, err := dockerfile.ParseOptions(src, dockerfile.Options{Args: args})
	if err != nil {
		return nil
	}
	out := make([]source, 0, len(info.Sources))
	for _, s := range info.Sources {
		if s.Kind == dockerfile.SourceOnbuild {
			continue
		}
		c := source{Path: s.Path, Raw: s.Raw, Line: s.Line}
		if s.Unknown != "" {
			c.Path = ""
		}
		out = append(out, c)
	}
	return out
}
