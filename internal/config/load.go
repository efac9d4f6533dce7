package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Load reads, interpolates and validates the config file at path. env holds the variables for
// interpolation (usually the process environment); it is not modified, and Project.Env is the
// map actually used (see Env). Loading writes nothing. Every error returned is an *Errors.
func Load(ctx context.Context, path string, env map[string]string, opts ...Option) (*Project, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	file := displayPath(path, abs)
	data, err := readFile(abs)
	if err != nil {
		return nil, fileError(file, err)
	}
	env, err = Env(ctx, filepath.Dir(abs), env)
	if err != nil {
		return nil, fileError(file, err)
	}
	return load(ctx, data, file, abs, env, opts...)
}

// Option changes how Load works.
type Option func(*loadOptions)

type loadOptions struct {
	importedNames func(ctx context.Context, p *Project) []string
}

// WithImportedNames lets the images defined outside imagemake.yaml (Compose services, bake
// targets) be named by depends_on, groups, contexts and task needs. names gets the decoded
// project (Root, Env, Compose, Bake and Profiles set; paths not yet checked) when it imports
// any file. Loading those files is the caller's, as are their errors: names only says which
// names exist.
func WithImportedNames(names func(ctx context.Context, p *Project) []string) Option {
	return func(o *loadOptions) { o.importedNames = names }
}

// load decodes and validates data, the content of the config file at the absolute path abs,
// shown as file in errors.
func load(ctx context.Context, data []byte, file, abs string, env map[string]string, opts ...Option) (*Project, error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	root := filepath.Dir(abs)
	d := &decoder{file: file, root: root, env: env, anchors: anchors{},
		pos: map[string]Pos{}, bad: map[string]bool{}}
	body, err := d.parse(data)
	if err != nil {
		return nil, err
	}
	p := d.project(body)
	p.Root, p.File, p.Env = root, abs, env
	if o.importedNames != nil && len(p.Compose)+len(p.Bake) > 0 {
		d.external = map[string]bool{}
		for _, n := range o.importedNames(ctx, p) {
			d.external[n] = true
		}
	}
	d.validate(p)
	if len(d.errs.List) > 0 {
		d.errs.sort()
		return nil, &d.errs
	}
	p.Warnings = d.warnings
	return p, nil
}

// parse returns the body of the file's only document.
func (d *decoder) parse(data []byte) (ast.Node, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		d.syntaxError(data, err)
		return nil, &d.errs
	}
	if len(f.Docs) > 1 {
		p := tokenPos(f.Docs[1].Start)
		if p == (Pos{}) {
			p = posOf(f.Docs[1].Body)
		}
		d.errAt(p, "", "more than one YAML document; imagemake.yaml holds one")
		return nil, &d.errs
	}
	if len(f.Docs) == 0 {
		return nil, nil
	}
	ast.Walk(d.anchors, f.Docs[0])
	return f.Docs[0].Body, nil
}

// flowInterpolation finds ${ inside [ ] or { }, where YAML ends a plain scalar at the brace.
var flowInterpolation = regexp.MustCompile(`[\[{,]\s*\$\{`)

func (d *decoder) syntaxError(data []byte, err error) {
	var se interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if !errors.As(err, &se) {
		d.errAt(Pos{}, "", "invalid YAML: "+err.Error())
		return
	}
	p, msg := tokenPos(se.GetToken()), "invalid YAML: "+se.GetMessage()
	if lines := strings.Split(string(data), "\n"); p.Line > 0 && p.Line <= len(lines) &&
		flowInterpolation.MatchString(lines[p.Line-1]) {
		msg += ` (inside [ ] or { }, quote values that use ${...}: ["${VAR:-}"])`
	}
	d.errAt(p, "", msg)
}

// Env returns env with the variables imagemake adds: when CI is "true" (or "1") and DOCKER_TAG
// is unset or empty, DOCKER_TAG is the short hash of the commit checked out in dir, so every CI
// build of a commit gets its own tag. env itself is not modified. Tasks should run with the
// result, which Load keeps in Project.Env.
func Env(ctx context.Context, dir string, env map[string]string) (map[string]string, error) {
	out := maps.Clone(env)
	if out == nil {
		out = map[string]string{}
	}
	ci := strings.ToLower(out["CI"])
	if (ci != "true" && ci != "1") || out["DOCKER_TAG"] != "" {
		return out, nil
	}
	hash, err := shortCommit(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("CI is set and DOCKER_TAG is not, so the tag is the commit hash, but %w", err)
	}
	out["DOCKER_TAG"] = hash
	return out, nil
}

func shortCommit(ctx context.Context, dir string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git rev-parse --short=12 HEAD failed in %s: %s", dir, msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Find returns the absolute path of the imagemake.yaml in dir or the nearest folder above it.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, FileName)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no %s in %s or any folder above it", FileName, abs)
		}
	}
}
