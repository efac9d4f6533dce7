package dockerfile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// resolver turns a collected file into an Info.
type resolver struct {
	file     *file
	lex      *shell.Lex
	env      vars // the global args: platform args and ARGs before the first FROM
	declared map[string]bool
	info     *Info

	args          map[string]string // the build args
	guessedGlobal map[string]bool   // global args whose value the build may not have (see markGuessed)
	envs          []env             // each stage's environment at its end
	byName        map[string]int    // stage name -> index of the first stage of that name
}

func newResolver(f *file, opts Options, escape rune) (*resolver, error) {
	names := make([]string, len(f.stages))
	byName := map[string]int{}
	for i, st := range f.stages {
		names[i] = st.name
		if _, dup := byName[st.name]; !dup && st.name != "" {
			byName[st.name] = i
		}
	}
	target, err := targetIndex(byName, len(names), opts.Target)
	if err != nil {
		return nil, err
	}
	bp, err := parsePlatform(opts.BuildPlatform, defaultPlatform)
	if err != nil {
		return nil, err
	}
	tp, err := parsePlatform(opts.Platform, bp)
	if err != nil {
		return nil, err
	}
	r := &resolver{
		file:          f,
		lex:           shell.NewLex(escape),
		env:           platformArgs(bp, tp, names[target], opts.Args),
		declared:      map[string]bool{},
		args:          opts.Args,
		guessedGlobal: map[string]bool{},
		envs:          make([]env, len(names)),
		byName:        byName,
		info: &Info{Stages: names, Target: target, needs: make([][]int, len(names)),
			base: make([]int, len(names)), stageArgs: make([][]string, len(names))},
	}
	r.markGuessed(opts.BuildPlatform != "", opts.Platform != "" || opts.BuildPlatform != "", opts.Args)
	return r, r.globals(opts.Args)
}

// targetIndex finds the stage to build among n stages; "" is the last one.
func targetIndex(byName map[string]int, n int, target string) (int, error) {
	if target == "" {
		return n - 1, nil
	}
	if i, ok := byName[strings.ToLower(target)]; ok {
		return i, nil
	}
	return 0, &Error{Err: fmt.Errorf("target stage %q not found", target)}
}

// stageBefore finds the first stage named name (ignoring case, as BuildKit does, whose parser
// lowercases stage names) among the first n stages; -1 if none. A map, not a scan: a
// Dockerfile may have many stages.
func (r *resolver) stageBefore(n int, name string) int {
	if i, ok := r.byName[strings.ToLower(name)]; ok && i < n {
		return i
	}
	return -1
}

func (r *resolver) resolve() error {
	for i, st := range r.file.stages {
		if err := r.from(i, st); err != nil {
			return err
		}
		for _, src := range st.sources {
			if err := r.source(i, src); err != nil {
				return err
			}
		}
		r.contextSources(i, st)
		r.info.stageArgs[i] = st.args
	}
	return nil
}

// from resolves a FROM. Only a stage defined earlier can be its base, so
// "FROM x AS x" reads the image x.
func (r *resolver) from(i int, st stage) error {
	res, err := r.lex.ProcessWordWithMatches(st.base, r.env)
	if err != nil {
		return errorf(st.line, "FROM %s: %v", st.base, err)
	}
	name := res.Result
	if name == "" {
		return errorf(st.line, "FROM %s expands to nothing%s", st.base, r.hint(res))
	}
	r.noteGuessed(res)
	platform, err := r.platform(st)
	if err != nil {
		return err
	}
	r.info.base[i] = -1
	if j := r.stageBefore(i, name); j >= 0 {
		r.need(i, j)
		r.info.base[i] = j
		return nil
	}
	if name == emptyImage {
		return nil
	}
	if _, err := reference.ParseNormalizedNamed(name); err != nil {
		return errorf(st.line, "FROM %s: %s", describe(st.base, name), refProblem(err))
	}
	r.add(Ref{Ref: name, Kind: KindFrom, Line: st.line, Stage: i, Platform: platform})
	return nil
}

// platform expands FROM --platform; BuildKit rejects an empty or bad result.
func (r *resolver) platform(st stage) (string, error) {
	if st.platform == "" {
		return "", nil
	}
	res, err := r.lex.ProcessWordWithMatches(st.platform, r.env)
	if err != nil {
		return "", errorf(st.line, "FROM --platform=%s: %v", st.platform, err)
	}
	if res.Result == "" {
		return "", errorf(st.line, "FROM --platform=%s expands to nothing%s", st.platform, r.hint(res))
	}
	if _, err := platforms.Parse(res.Result); err != nil {
		return "", errorf(st.line, "FROM --platform=%s: %v", st.platform, err)
	}
	r.noteGuessed(res)
	return res.Result, nil
}

// source resolves a COPY --from or RUN --mount from=: a stage (by name, or by
// index for COPY only, as in BuildKit), scratch, or an image.
func (r *resolver) source(i int, s source) error {
	if err := r.unexpanded(s); err != nil {
		return err
	}
	if s.kind == KindCopy {
		if n, err := strconv.Atoi(s.from); err == nil {
			if n < 0 || n >= len(r.info.Stages) {
				return errorf(s.line, "COPY --from=%s: invalid stage index %d", s.from, n)
			}
			r.need(i, n)
			return nil
		}
	}
	if j := r.stageBefore(len(r.info.Stages), s.from); j >= 0 {
		r.need(i, j)
		return nil
	}
	if s.from == emptyImage {
		return nil
	}
	if _, err := reference.ParseNormalizedNamed(s.from); err != nil {
		return errorf(s.line, "%s=%s: %s", instruction(s.kind), s.from, refProblem(err))
	}
	r.add(Ref{Ref: s.from, Kind: s.kind, Line: s.line, Stage: i})
	return nil
}

// unexpanded rejects a COPY --from that variable expansion or quote removal
// would change, as BuildKit does. (BuildKit's parser already rejects variables
// in RUN --mount from=.)
func (r *resolver) unexpanded(s source) error {
	if s.kind != KindCopy {
		return nil
	}
	v, _, err := r.lex.ProcessWord(s.from, vars{})
	if err == nil && v == s.from {
		return nil
	}
	return errorf(s.line, "COPY --from=%s: variable expansion is not supported for --from; "+
		"name the image in a FROM with a global ARG and copy from that stage instead", s.from)
}

func (r *resolver) need(stage, on int) {
	r.info.needs[stage] = append(r.info.needs[stage], on)
}

func (r *resolver) add(ref Ref) {
	r.info.Refs = append(r.info.Refs, ref)
}

// hint tells how to give a value to the variables that expanded to nothing.
func (r *resolver) hint(res shell.ProcessWordResult) string {
	var names []string
	for n := range res.Unmatched {
		names = append(names, n)
	}
	for n := range res.Matched {
		if r.env[n] == "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var parts []string
	for _, n := range slices.Compact(names) {
		if r.declared[n] {
			parts = append(parts, "set the build arg "+n)
		} else {
			parts = append(parts, "declare ARG "+n+" before the first FROM and set it")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}

// describe shows a FROM argument and, when ARGs changed it, its expansion.
func describe(raw, expanded string) string {
	if raw == expanded {
		return raw
	}
	return fmt.Sprintf("%s (expands to %q)", raw, expanded)
}

// refProblem words a reference parse error for a person.
func refProblem(err error) string {
	return "not a valid image reference: " + err.Error()
}

func instruction(kind string) string {
	if kind == KindMount {
		return "RUN --mount from"
	}
	return "COPY --from"
}
