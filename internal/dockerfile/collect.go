package dockerfile

import (
	"errors"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// file is a Dockerfile reduced to what decides its sources, not yet expanded.
type file struct {
	metaArgs []metaArg
	stages   []stage
}

type metaArg struct {
	cmd  *instructions.ArgCommand
	line int
}

type stage struct {
	name     string // lowercased by BuildKit
	base     string // FROM argument as written
	platform string // FROM --platform as written
	line     int
	sources  []source
	steps    []step // the instructions that set variables or read the build context, in order
	onbuild  []int  // lines of ONBUILD triggers that read the build context (COPY, ADD, RUN)
	args     []string
}

// step is an ARG, ENV, COPY, ADD or RUN of a stage, not yet expanded.
type step struct {
	cmd  any
	line int
}

// source is a COPY --from or RUN --mount from= value as written.
type source struct {
	from string
	kind string
	line int
}

// collect walks the AST as instructions.Parse does, keeping each line.
func collect(ast *parser.Node) (*file, error) {
	f := &file{}
	for _, n := range ast.Children {
		cmd, err := instructions.ParseInstruction(n)
		if err != nil {
			return nil, &Error{Line: n.StartLine, Err: err}
		}
		if err := f.add(cmd, n.StartLine); err != nil {
			return nil, err
		}
	}
	if len(f.stages) == 0 {
		return nil, &Error{Err: errors.New("the Dockerfile has no FROM instruction")}
	}
	return f, nil
}

func (f *file) add(cmd any, line int) error {
	switch c := cmd.(type) {
	case *instructions.Stage:
		f.stages = append(f.stages, stage{name: c.Name, base: c.BaseName, platform: c.Platform, line: line})
		return nil
	case *instructions.ArgCommand:
		if len(f.stages) == 0 {
			f.metaArgs = append(f.metaArgs, metaArg{cmd: c, line: line})
			return nil
		}
	}
	if len(f.stages) == 0 {
		return errorf(line, "only ARG may come before the first FROM")
	}
	cur := &f.stages[len(f.stages)-1]
	cur.sources = append(cur.sources, sourcesOf(cmd, line)...)
	switch c := cmd.(type) {
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			cur.args = append(cur.args, kv.Key)
		}
		cur.steps = append(cur.steps, step{cmd, line})
	case *instructions.EnvCommand, *instructions.CopyCommand, *instructions.AddCommand, *instructions.RunCommand:
		cur.steps = append(cur.steps, step{cmd, line})
	case *instructions.OnbuildCommand:
		if readsContext(c.Expression) {
			cur.onbuild = append(cur.onbuild, line)
		}
	}
	return nil
}

// readsContext tells whether an ONBUILD trigger may read the build context of the stage that
// runs it: a COPY, ADD or RUN (which may bind-mount it). BuildKit runs the triggers of a
// stage in the stages built FROM it.
func readsContext(trigger string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(trigger), " ")
	switch strings.ToUpper(word) {
	case "COPY", "ADD", "RUN":
		return true
	}
	return false
}

// sourcesOf lists the --from values of one instruction. ONBUILD triggers run
// in another build, so they are not sources of this one.
func sourcesOf(cmd any, line int) []source {
	switch c := cmd.(type) {
	case *instructions.CopyCommand:
		if c.From != "" {
			return []source{{from: c.From, kind: KindCopy, line: line}}
		}
	case *instructions.RunCommand:
		// Any mount type with from= makes BuildKit resolve that image.
		var out []source
		for _, m := range instructions.GetMounts(c) {
			if m.From != "" {
				out = append(out, source{from: m.From, kind: KindMount, line: line})
			}
		}
		return out
	}
	return nil
}
