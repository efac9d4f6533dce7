// Package dockerfile answers what a Dockerfile reads from: the bases named by
// FROM, the images named by COPY --from and RUN --mount from=, and the paths of
// the build context COPY, ADD and RUN --mount=type=bind read, after the ARG
// expansion BuildKit would do.
//
// Parsing is BuildKit's own (frontend/dockerfile/parser and instructions), so
// heredocs, line continuations, comments and the syntax and escape parser
// directives behave exactly as in a build. The resolution rules follow
// BuildKit's dockerfile2llb:
//
//   - FROM is expanded with the global ARGs (those declared before the first
//     FROM) and the automatic platform args. A build arg applies only to an
//     ARG declared there; unset variables expand to "".
//   - COPY --from and RUN --mount from= are never expanded: BuildKit rejects
//     variables there, and so does Parse.
//   - A name that matches a stage is that stage, not an image; "scratch" is no
//     image either.
//   - A context source is expanded with its stage's variables, as dispatch does:
//     the ARGs declared in the stage (a build arg, else the default, else the
//     global value) and ENV, inherited from a stage built FROM. A variable the
//     Dockerfile does not set (a base image's ENV may), or an automatic platform
//     arg when neither the image's platform nor the builder's is given, makes the
//     source read the whole context. A multi-platform build reads what any of
//     its platforms reads.
package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Kinds of instruction a Ref comes from.
const (
	KindFrom  = "from"
	KindCopy  = "copy --from"
	KindMount = "run --mount from"
)

// emptyImage is the base BuildKit treats as an empty filesystem.
const emptyImage = "scratch"

// Ref is one image a Dockerfile reads from.
type Ref struct {
	Ref      string // as written after ARG expansion, e.g. "acme/pybase:dev"
	Kind     string // KindFrom, KindCopy or KindMount
	Line     int    // 1-based line of the instruction
	Stage    int    // index in Info.Stages of the stage holding the instruction
	Platform string // FROM --platform after expansion; "" when absent or not a FROM
}

// Info is what a Dockerfile reads from.
type Info struct {
	Refs       []Ref    // external image refs of every stage, in file order, duplicates kept
	GlobalArgs []string // names of the ARGs declared before the first FROM, in order, once each
	Stages     []string // stage names, lowercased, in order ("" for an unnamed stage)
	Target     int      // index in Stages of the stage a build produces
	// Sources are the paths of the build context every stage reads, in file order; see
	// TargetSources and ContextPaths.
	Sources []Source

	frontend      string // the syntax directive or BUILDKIT_SYNTAX when it names another frontend than BuildKit's Dockerfile one
	targetOnbuild bool   // the target stage has ONBUILD triggers that may read a context
	// platformDependent: a FROM line or a context source read a platform arg whose value was
	// guessed (no platform, no builder's platform given).
	platformDependent bool

	needs     [][]int    // for each stage, the stages it reads from
	base      []int      // for each stage, the stage it is built FROM, or -1
	stageArgs [][]string // for each stage, the names its ARGs declare
}

// Options tune how a Dockerfile is resolved. The zero value is a build of the
// last stage without build args on a builder whose platform is not known
// (linux/amd64 assumed, and a context path made from a platform arg reads the
// whole context).
type Options struct {
	// Args are the build args (docker build --build-arg).
	Args map[string]string
	// Platform is the target platform ("linux/arm64"); it sets TARGETPLATFORM,
	// TARGETOS, TARGETARCH and TARGETVARIANT. Default: BuildPlatform.
	Platform string
	// Platforms are the target platforms of a multi-platform build (one image
	// index); Info then holds what any of them reads. Platform is ignored.
	Platforms []string
	// BuildPlatform is the builder's platform (its worker's, "linux/arm64"); it
	// sets BUILDPLATFORM, BUILDOS, BUILDARCH and BUILDVARIANT, and the target
	// platform when Platform is empty. Default: unknown.
	BuildPlatform string
	// Target is the stage to build (docker build --target); default the last.
	Target string
}

// Error is a problem in a Dockerfile, at a line when Line > 0.
type Error struct {
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(line int, format string, a ...any) error {
	return &Error{Line: line, Err: fmt.Errorf(format, a...)}
}

// Parse reads a Dockerfile built with the given build args on a builder whose platform is not known.
// See ParseOptions.
func Parse(src []byte, args map[string]string) (*Info, error) {
	return ParseOptions(src, Options{Args: args})
}

// ParseOptions reads a Dockerfile and returns the images it reads from. Every
// error is an *Error naming the line when there is one.
func ParseOptions(src []byte, opts Options) (*Info, error) {
	if err := checkText(src); err != nil {
		return nil, err
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, &Error{Line: errorLine(err), Err: err}
	}
	f, err := collect(res.AST)
	if err != nil {
		return nil, err
	}
	resolve := resolveOne
	if len(opts.Platforms) > 0 {
		resolve = resolveAll
	}
	info, err := resolve(f, opts, res.EscapeToken)
	if err != nil {
		return nil, err
	}
	info.frontend = frontend(src, opts.Args)
	info.targetOnbuild = len(f.stages[info.Target].onbuild) > 0
	return info, nil
}

func resolveOne(f *file, opts Options, escape rune) (*Info, error) {
	r, err := newResolver(f, opts, escape)
	if err != nil {
		return nil, err
	}
	return r.info, r.resolve()
}

// checkText refuses binary content, whose bytes would otherwise be echoed in the parser's error.
func checkText(src []byte) error {
	lineOf := func(i int) int { return bytes.Count(src[:i], []byte("\n")) + 1 }
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return &Error{Line: lineOf(i), Err: errors.New("not a text file: NUL byte")}
	}
	if !utf8.Valid(src) {
		for i := 0; i < len(src); {
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return &Error{Line: lineOf(i), Err: errors.New("not a text file: invalid UTF-8")}
			}
			i += size
		}
	}
	return nil
}

// errorLine is the first line a BuildKit error points at, or 0.
func errorLine(err error) int {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return le.Locations[0][0].Start.Line
	}
	return 0
}

// TargetRefs returns the refs of the target stage and of the stages it reads
// from, transitively: the images a build of the target actually pulls.
func (i *Info) TargetRefs() []Ref {
	seen := i.targetStages()
	var out []Ref
	for _, r := range i.Refs {
		if seen[r.Stage] {
			out = append(out, r)
		}
	}
	return out
}

// Normalize returns the canonical form of an image reference, the one BuildKit
// resolves: "alpine" becomes "docker.io/library/alpine:latest"; a digest is kept.
func Normalize(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", ref, err)
	}
	return reference.TagNameOnly(named).String(), nil
}
