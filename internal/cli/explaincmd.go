package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
	imagerun "github.com/imagemake/imagemake/internal/run"
	"github.com/imagemake/imagemake/internal/schedule"
)

func newExplain(g *global) *cobra.Command {
	var asJSON bool
	var format string
	cmd := &cobra.Command{
		Use:   "explain IMAGE",
		Short: "Tell the full story of an image's inputs: digest, every change, cache source, BuildKit solve",
		Long: `explain plans one image, like plan, and tells everything behind its status: its inputs digest,
every file, build arg and base image that changed since the digest imagemake last saw, the cache
source a build would use and the exact BuildKit solve (and the equivalent docker command).
It builds nothing and records nothing.`,
		Example: `  imagemake explain api
  imagemake explain openresty --format json | jq .changes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if asJSON, err = wantJSON(format, asJSON); err != nil {
				return err
			}
			e, err := g.explain(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(g.io.Out, e)
			}
			e.text(g.io.Out)
			return nil
		},
	}
	addFormatFlag(cmd.Flags(), &format, &asJSON)
	addPullFlag(cmd.Flags(), g)
	return cmd
}

// explanation is what explain prints.
type explanation struct {
	Image       string            `json:"image"`
	Refs        []string          `json:"refs"`
	Status      plan.Status       `json:"status"`
	Reason      string            `json:"reason"`
	Inputs      string            `json:"inputs"`
	Files       int               `json:"files"`
	LastSeen    string            `json:"last_seen,omitempty"`
	SeenAt      string            `json:"seen_at,omitempty"` // the commit pushed with LastSeen, read from the registry
	Changes     []inputs.Change   `json:"changes"`
	CacheFrom   string            `json:"cache_from"`
	CacheNote   string            `json:"cache_note,omitempty"`
	Request     buildkit.Solve    `json:"request"`
	Command     string            `json:"command"`
	EngineError string            `json:"engine_error,omitempty"`
	Upstream    map[string]string `json:"upstream,omitempty"`
	// Builders are the BuildKit daemons of builders: in imagemake.yaml, which take the build
	// instead of the engine; Request then says what they would be sent.
	Builders []string `json:"builders,omitempty"`
}

func (g *global) explain(ctx context.Context, name string) (*explanation, error) {
	m, err := g.load(ctx)
	if err != nil {
		return nil, err
	}
	if m.Image(name) == nil {
		if _, err := m.Expand([]string{name}); err != nil {
			return nil, usageErr(err)
		}
		return nil, usageErr(fmt.Errorf("%q is a group; explain takes one image", name))
	}
	s, err := g.open(ctx, []string{name}, false)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	pi := s.Images[slices.IndexFunc(s.Images, func(pi *plan.Image) bool { return pi.Name == name })]
	remote := s.ReasonsFromRegistry(ctx, func(w string) { fmt.Fprintln(g.io.Err, "imagemake: warning: "+w) })[name]
	e := &explanation{Image: name, Refs: pi.Config.Refs(), Status: pi.Status, Reason: pi.Reason,
		Inputs: pi.Manifest.Digest, Files: pi.Context.Len(), Changes: []inputs.Change{}, Upstream: pi.Manifest.Upstream,
		Builders: m.Builders}
	if s.EngineErr != nil {
		e.EngineError = oneLine(s.EngineErr)
	}
	if err := e.since(s, pi, remote); err != nil {
		return nil, err
	}
	if err := e.cache(ctx, s, pi); err != nil {
		return nil, err
	}
	req, err := s.Request(pi, imagerun.Options{})
	if err != nil {
		return nil, err
	}
	if e.CacheFrom != "" {
		req.CacheFrom = []string{e.CacheFrom}
	}
	e.Request = buildkit.Describe(redactArgs(req), len(m.Builders) == 0)
	e.Command = "imagemake context " + name + " | DOCKER_BUILDKIT=1 " + shellJoin(e.Request.Command)
	return e, nil
}

// since lists every change since the inputs last seen; never seen here, since the inputs of
// the image pushed at the nearest commit (remote, from the registry), if any.
func (e *explanation) since(s *imagerun.Run, pi *plan.Image, remote imagerun.Since) error {
	seen, err := s.State.LastSeen(pi.Name)
	if err == nil && seen == nil && remote.Manifest != nil {
		e.LastSeen, e.SeenAt = remote.Manifest.Digest, remote.Commit
		e.Changes = append(e.Changes, remote.Diff(pi.Manifest, plan.SourcePath(pi.Config))...)
		return nil
	}
	if err != nil || seen == nil {
		return failedErrOrNil(err)
	}
	e.LastSeen = seen.Digest
	e.Changes = append(e.Changes, inputs.Diff(seen, pi.Manifest, plan.SourcePath(pi.Config))...)
	return nil
}

// cache finds the cache source a build would use, as build does.
func (e *explanation) cache(ctx context.Context, s *imagerun.Run, pi *plan.Image) error {
	s.OpenRegistry(ctx, false)
	if !s.HasRegistry() {
		e.CacheNote = "no registry named in repo: or cache.repo:, so no cache source"
		return nil
	}
	ref, err := s.CacheFrom(ctx, pi)
	if err != nil {
		return failedErr(err)
	}
	e.CacheFrom = ref
	if ref == "" {
		e.CacheNote = "no cache candidate exists in the registry"
	}
	return nil
}

// secretLike matches build arg names whose values explain does not print (project warns
// about such args when it loads).
var secretLike = regexp.MustCompile(`(?i)(TOKEN|PASSWORD|PASSWD|SECRET|KEY)`)

func redactArgs(req schedule.Request) schedule.Request {
	req.Args = maps.Clone(req.Args)
	for k := range req.Args {
		if secretLike.MatchString(k) {
			req.Args[k] = "<redacted>"
		}
	}
	return req
}

func (e *explanation) text(w io.Writer) {
	fmt.Fprintf(w, "image      %s\nrefs       %s\nstatus     %s: %s\ninputs     %s (%d files)\n",
		e.Image, strings.Join(e.Refs, ", "), e.Status, e.Reason, e.Inputs, e.Files)
	if e.EngineError != "" {
		fmt.Fprintf(w, "engine     unreachable (%s): status unknown\n", e.EngineError)
	}
	for _, up := range slices.Sorted(maps.Keys(e.Upstream)) {
		fmt.Fprintf(w, "built on   %s %s\n", up, e.Upstream[up])
	}
	switch {
	case e.LastSeen == "":
		fmt.Fprintln(w, "last seen  never: no earlier inputs to compare with")
	case e.LastSeen == e.Inputs:
		fmt.Fprintf(w, "last seen  %s: nothing changed\n", e.LastSeen)
	default:
		noun := "changes"
		if len(e.Changes) == 1 {
			noun = "change"
		}
		at := ""
		if e.SeenAt != "" {
			at = " (pushed at " + e.SeenAt + ", in the registry)"
		}
		fmt.Fprintf(w, "last seen  %s%s; %d %s since:\n", e.LastSeen, at, len(e.Changes), noun)
		for _, c := range e.Changes {
			fmt.Fprintln(w, "  "+c.String())
		}
	}
	fmt.Fprintf(w, "cache from %s\n", orNote(e.CacheFrom, e.CacheNote))
	if len(e.Builders) > 0 {
		fmt.Fprintf(w, "builders   %s (builders: in imagemake.yaml): the build goes there\n", strings.Join(e.Builders, ", "))
	}
	solveText(w, e.Request)
	fmt.Fprintf(w, "command    %s\n", e.Command)
}

// text writes the solve: frontend, its attributes, local sources, outputs, cache, session.
func solveText(w io.Writer, r buildkit.Solve) {
	fmt.Fprintf(w, "solve      %s\n", r.Frontend)
	for _, k := range slices.Sorted(maps.Keys(r.Attrs)) {
		fmt.Fprintf(w, "  %s=%s\n", k, r.Attrs[k])
	}
	for _, k := range slices.Sorted(maps.Keys(r.Locals)) {
		fmt.Fprintf(w, "  local %s: %s (through the BuildKit session)\n", k, r.Locals[k])
	}
	list := func(what string, items []string) {
		for _, it := range items {
			fmt.Fprintf(w, "  %s %s\n", what, it)
		}
	}
	list("export", r.Exports)
	list("cache import", r.CacheImports)
	list("cache export", r.CacheExports)
	list("secret", r.Secrets)
	list("ssh", r.SSH)
}

func orNote(v, note string) string {
	if v == "" {
		return "none (" + note + ")"
	}
	return v
}

// shellJoin quotes args for a POSIX shell.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+%") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
