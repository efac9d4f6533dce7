package dockerfile

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Kinds of instruction a Source comes from.
const (
	SourceCopy    = "COPY"
	SourceAdd     = "ADD"
	SourceMount   = "RUN --mount"
	SourceOnbuild = "ONBUILD"
)

// Source is one path of the build context an instruction reads: a COPY or ADD source (not
// --from, not a URL, not a heredoc), the source= of a RUN --mount=type=bind without from=, or
// an ONBUILD trigger of a stage that runs in the stage built FROM it.
type Source struct {
	// Path is the path as BuildKit's Dockerfile frontend marks it for the context it pulls:
	// expanded with the stage's variables, slash-separated, cleaned, relative to the context
	// root; a glob stays a pattern (moby/patternmatcher syntax, as fsutil matches it). "."
	// is the whole context.
	Path string
	Raw  string // as written
	Kind string // SourceCopy, SourceAdd, SourceMount or SourceOnbuild
	Line int
	// Stage is the index in Info.Stages of the stage holding the instruction.
	Stage int
	// Unknown says why Path could not be told before the build (a variable the Dockerfile
	// does not set, a platform it cannot know); Path is then ".".
	Unknown string
}

// Whole tells whether the source reads the whole context.
func (s Source) Whole() bool { return s.Path == "." }

// String names the source for a person: `line 4: COPY ./src` or, for an unknown one, why.
func (s Source) String() string {
	if s.Unknown != "" {
		return fmt.Sprintf("line %d: %s %s: %s", s.Line, s.Kind, s.Raw, s.Unknown)
	}
	return fmt.Sprintf("line %d: %s %s", s.Line, s.Kind, s.Raw)
}

// TargetSources returns the context sources of the target stage and of the stages it reads
// from, transitively, in file order: what a build of the target reads from its context.
func (i *Info) TargetSources() []Source {
	seen := i.targetStages()
	var out []Source
	for _, s := range i.Sources {
		if seen[s.Stage] {
			out = append(out, s)
		}
	}
	return out
}

// ContextPaths returns the paths of the context a build of the target reads, as BuildKit's
// dockerfile2llb gives them to the context it pulls (llb.FollowPaths): sorted, each once,
// relative, patterns kept. whole is the first source that reads the whole context ("COPY ."
// or a source that cannot be expanded); paths is then nil. A target that reads nothing from
// the context has neither.
func (i *Info) ContextPaths() (paths []string, whole *Source) {
	if i.frontend != "" {
		return nil, &Source{Path: ".", Raw: i.frontend, Kind: "syntax", Line: 1, Stage: i.Target,
			Unknown: "another frontend than BuildKit's Dockerfile one reads the context its own way"}
	}
	set := map[string]bool{}
	for _, s := range i.TargetSources() {
		if s.Whole() {
			return nil, &s
		}
		set[s.Path] = true
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// OnbuildReadsContext tells whether the image a build of the target makes carries ONBUILD
// triggers (COPY, ADD, RUN) that the builds FROM it run on their own context.
func (i *Info) OnbuildReadsContext() bool { return i.targetOnbuild }

// frontend returns the frontend a build of src runs when it is not BuildKit's Dockerfile
// frontend (docker/dockerfile, docker/dockerfile-upstream, any version): the syntax
// directive, which the BUILDKIT_SYNTAX build arg overrides. "" for the Dockerfile frontend.
func frontend(src []byte, args map[string]string) string {
	syntax, _, _, _ := parser.DetectSyntax(src)
	if v := args["BUILDKIT_SYNTAX"]; v != "" {
		syntax = v
	}
	if syntax == "" {
		return ""
	}
	named, err := reference.ParseNormalizedNamed(syntax)
	if err == nil {
		switch reference.TrimNamed(named).String() {
		case "docker.io/docker/dockerfile", "docker.io/docker/dockerfile-upstream":
			return ""
		}
	}
	return syntax
}

// StageArgs returns the names the target stage and the stages it reads from declare with
// ARG after their FROM: the build args whose values RUN, ENV, LABEL, COPY... can see. A
// build arg declared only before the first FROM shapes FROM lines and nothing else.
func (i *Info) StageArgs() []string {
	seen := i.targetStages()
	set := map[string]bool{}
	for s, names := range i.stageArgs {
		if seen[s] {
			for _, n := range names {
				set[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// targetStages is the set of the target stage and the stages it reads from, transitively.
func (i *Info) targetStages() map[int]bool {
	seen := map[int]bool{}
	var visit func(int)
	visit = func(s int) {
		if s < 0 || s >= len(i.needs) || seen[s] {
			return
		}
		seen[s] = true
		for _, n := range i.needs[s] {
			visit(n)
		}
	}
	visit(i.Target)
	return seen
}

// env is what the instructions of a stage expand with: the values the Dockerfile gives, and
// which of them the build may not see (guessed platform args and what is made from them). A
// name the Dockerfile does not set is unknown: the base image's ENV may set it.
type env struct {
	vals    vars
	guessed map[string]bool
}

func (e env) clone() env {
	return env{vals: maps.Clone(e.vals), guessed: maps.Clone(e.guessed)}
}

func (e env) set(name, value string, guessed bool) {
	e.vals[name] = value
	if guessed {
		e.guessed[name] = true
	} else {
		delete(e.guessed, name)
	}
}

// expand expands a word as BuildKit does; why is non-empty when the result cannot be known
// before the build.
func (r *resolver) expand(word string, e env) (value, why string) {
	res, err := r.lex.ProcessWordWithMatches(word, e.vals)
	if err != nil {
		return "", err.Error()
	}
	if n := firstKey(res.Unmatched); n != "" {
		return res.Result, "$" + n + " is not set in the Dockerfile"
	}
	for n := range res.Matched {
		if e.guessed[n] {
			r.info.platformDependent = true
			return res.Result, "$" + n + " is not known before the build"
		}
	}
	return res.Result, ""
}

func firstKey(m map[string]struct{}) string {
	if len(m) == 0 {
		return ""
	}
	return slices.Sorted(maps.Keys(m))[0]
}

// stageEnv is the environment stage i starts with: its base stage's when it is built FROM one,
// else empty.
func (r *resolver) stageEnv(i int) env {
	if b := r.info.base[i]; b >= 0 {
		return r.envs[b].clone()
	}
	return env{vals: vars{}, guessed: map[string]bool{}}
}

// contextSources expands the steps of stage i in order, as dockerfile2llb dispatches them,
// and adds the context paths they read to Info.Sources.
func (r *resolver) contextSources(i int, st stage) {
	e := r.stageEnv(i)
	if b := r.info.base[i]; b >= 0 {
		for _, line := range r.file.stages[b].onbuild {
			r.addSource(Source{Path: ".", Raw: "(trigger of line " + fmt.Sprint(line) + ")", Kind: SourceOnbuild,
				Line: st.line, Stage: i, Unknown: "an ONBUILD trigger of the base stage runs here"})
		}
	}
	for _, s := range st.steps {
		switch c := s.cmd.(type) {
		case *instructions.ArgCommand:
			r.stageArg(c, e)
		case *instructions.EnvCommand:
			r.stageEnvCmd(c, e)
		case *instructions.CopyCommand:
			if c.From == "" {
				r.paths(i, s.line, SourceCopy, c.SourcePaths, e)
			}
		case *instructions.AddCommand:
			var local []string
			for _, p := range c.SourcePaths {
				if !strings.HasPrefix(p, "http://") && !strings.HasPrefix(p, "https://") {
					local = append(local, p)
				}
			}
			r.paths(i, s.line, SourceAdd, local, e)
		case *instructions.RunCommand:
			r.mounts(i, s.line, c, e)
		}
	}
	r.envs[i] = e
}

// stageArg is dispatchArg: a build arg, else the default expanded, else the global value.
func (r *resolver) stageArg(c *instructions.ArgCommand, e env) {
	for _, kv := range c.Args {
		var value string
		var guessed bool
		switch v, given := r.args[kv.Key]; {
		case given:
			value, guessed = v, r.guessedGlobal[kv.Key]
		case kv.Value != nil:
			var why string
			value, why = r.expand(*kv.Value, e)
			guessed = why != ""
		default:
			g, ok := r.env[kv.Key]
			if !ok {
				continue // the base image's ENV may still set it
			}
			value, guessed = g, r.guessedGlobal[kv.Key]
		}
		if _, skip := nonEnvArgs[kv.Key]; !skip {
			e.set(kv.Key, value, guessed)
		}
	}
}

// nonEnvArgs are ARGs BuildKit does not put in the environment, as dockerfile2llb's.
var nonEnvArgs = map[string]struct{}{"BUILDKIT_SBOM_SCAN_CONTEXT": {}, "BUILDKIT_SBOM_SCAN_STAGE": {}}

// stageEnvCmd is ENV: every value is expanded with the environment before the instruction.
func (r *resolver) stageEnvCmd(c *instructions.EnvCommand, e env) {
	type kv struct {
		k, v    string
		guessed bool
	}
	var out []kv
	for _, p := range c.Env {
		v, why := r.expand(p.Value, e)
		out = append(out, kv{p.Key, v, why != ""})
	}
	for _, p := range out {
		e.set(p.k, p.v, p.guessed)
	}
}

func (r *resolver) paths(i, line int, kind string, raws []string, e env) {
	for _, raw := range raws {
		v, why := r.expand(raw, e)
		r.addSource(contextPath(Source{Raw: raw, Kind: kind, Line: line, Stage: i, Unknown: why}, v))
	}
}

// mounts adds the source= of each RUN --mount=type=bind without from=, expanded as BuildKit
// expands the mount options. A mount BuildKit would refuse reads the whole context here: the
// build fails anyway.
func (r *resolver) mounts(i, line int, c *instructions.RunCommand, e env) {
	unsure := map[string]string{} // expanded value -> why it cannot be known
	err := c.Expand(func(word string) (string, error) {
		v, why := r.expand(word, e)
		if why != "" {
			unsure[v] = why
		}
		return v, nil
	})
	if err != nil {
		r.addSource(Source{Path: ".", Raw: "--mount", Kind: SourceMount, Line: line, Stage: i, Unknown: err.Error()})
		return
	}
	for _, m := range instructions.GetMounts(c) {
		if m.Type != instructions.MountTypeBind || m.From != "" {
			continue
		}
		r.addSource(contextPath(Source{Raw: "source=" + m.Source, Kind: SourceMount, Line: line, Stage: i, Unknown: unsure[m.Source]}, m.Source))
	}
}

// contextPath sets s.Path from the expanded value as dockerfile2llb marks it:
// path.Join("/", p), then relative; "/" is the whole context.
func contextPath(s Source, expanded string) Source {
	if s.Unknown != "" {
		s.Path = "."
		return s
	}
	s.Path = path.Join(".", path.Join("/", filepath.ToSlash(expanded)))
	return s
}

func (r *resolver) addSource(s Source) {
	r.info.Sources = append(r.info.Sources, s)
}

// markGuessed records which global args hold a value the build may not have: the automatic
// platform args, unless the builder's platform, the target platform or a build arg names them,
// and what is made from them.
func (r *resolver) markGuessed(buildKnown, targetKnown bool, args map[string]string) {
	for k := range r.env {
		if _, given := args[k]; given {
			continue
		}
		if (!buildKnown && strings.HasPrefix(k, "BUILD")) || (!targetKnown && strings.HasPrefix(k, "TARGET") && k != "TARGETSTAGE") {
			r.guessedGlobal[k] = true
		}
	}
}

// noteGuessed records that a FROM line read a guessed global arg: the Dockerfile reads
// differently on a builder of another platform.
func (r *resolver) noteGuessed(res shell.ProcessWordResult) {
	if r.usesGuessed(res) {
		r.info.platformDependent = true
	}
}

// usesGuessed tells whether expanding word read a guessed global arg.
func (r *resolver) usesGuessed(res shell.ProcessWordResult) bool {
	for n := range res.Matched {
		if r.guessedGlobal[n] {
			return true
		}
	}
	return false
}
