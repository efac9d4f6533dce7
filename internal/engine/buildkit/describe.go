package buildkit

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/schedule"
)

// Solve is what Build asks a builder for a request, described without building: the frontend
// and its attributes, the local sources sent through the session, outputs, cache and session
// services, and the equivalent docker CLI command. The session and its ID, made afresh for
// each build, are left out; secrets appear by id and source, never by value.
type Solve struct {
	Frontend     string            `json:"frontend"`
	Attrs        map[string]string `json:"frontend_attrs"`
	Locals       map[string]string `json:"local_sources"` // name -> what it holds
	Exports      []string          `json:"exports"`
	CacheImports []string          `json:"cache_imports,omitempty"`
	CacheExports []string          `json:"cache_exports,omitempty"`
	Secrets      []string          `json:"secrets,omitempty"` // id=ID,src=FILE or id=ID,env=VAR
	SSH          []string          `json:"ssh,omitempty"`     // ID=PATH,...
	// Command is `docker build` reading the context tar on stdin, run with DOCKER_BUILDKIT=1.
	Command []string `json:"command"`
}

// Describe describes the solve of req on the Docker engine (engine) or on a daemon, one that
// exports registry cache.
func Describe(req schedule.Request, engine bool) Solve {
	b := &Builder{cacheExport: !engine}
	if engine {
		b.engine = &Engine{}
	}
	d := Solve{
		Frontend: "dockerfile.v0 (BuildKit's Dockerfile frontend, run in imagemake)",
		Attrs:    frontendAttrs(req),
		Locals:   map[string]string{"context": fmt.Sprintf("%d entries", len(req.Context)), "dockerfile": dockerfileLocal(req)},
		Secrets:  secretSpecs(req.Secrets),
		SSH:      sshSpecs(req.SSH),
	}
	for name, nc := range req.Contexts {
		if nc.Source != "" {
			d.Attrs["context:"+name] = nc.Source
			continue
		}
		d.Attrs["context:"+name] = "local:named-" + name
		d.Locals["named-"+name] = fmt.Sprintf("%s (%d entries)", nc.Dir, len(nc.Entries))
	}
	for _, e := range b.exports(req) {
		d.Exports = append(d.Exports, e.Type+" "+attrString(e.Attrs))
	}
	imports, exports := b.cacheOptions(req, func(string) {})
	for _, c := range imports {
		d.CacheImports = append(d.CacheImports, "type="+c.Type+","+attrString(c.Attrs))
	}
	for _, c := range exports {
		d.CacheExports = append(d.CacheExports, strings.TrimSuffix("type="+c.Type+","+attrString(c.Attrs), ","))
	}
	d.Command = command(req, d)
	return d
}

func attrString(attrs map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		out = append(out, k+"="+attrs[k])
	}
	return strings.Join(out, ",")
}

func secretSpecs(secrets []schedule.Secret) []string {
	var out []string
	for _, s := range secrets {
		if s.Env != "" {
			out = append(out, "id="+s.ID+",env="+s.Env)
		} else {
			out = append(out, "id="+s.ID+",src="+s.Src)
		}
	}
	return out
}

func sshSpecs(agents []schedule.SSH) []string {
	var out []string
	for _, a := range agents {
		out = append(out, strings.TrimSuffix(a.ID+"="+strings.Join(a.Paths, ","), "="))
	}
	return out
}

// dockerfileLocal describes the "dockerfile" local (see localMounts).
func dockerfileLocal(req schedule.Request) string {
	if df := inputs.BuildDockerfile(req.Dockerfile); inputs.InDockerfileDir(df) {
		return fmt.Sprintf("%s, outside the context, as %s (left out of the context local)", req.Dockerfile, df)
	}
	return "the context's " + req.Dockerfile
}

// command is the docker CLI command line that asks the engine for the same build.
func command(req schedule.Request, d Solve) []string {
	c := []string{"docker", "build", "--file", inputs.BuildDockerfile(req.Dockerfile)}
	flag := func(name string, values ...string) {
		for _, v := range values {
			if v != "" {
				c = append(c, name, v)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(req.Args)) {
		flag("--build-arg", k+"="+req.Args[k])
	}
	if req.InlineCache {
		flag("--build-arg", "BUILDKIT_INLINE_CACHE=1")
	}
	flag("--target", req.Target)
	flag("--platform", platformAttr(req))
	flag("--network", req.Network)
	for _, k := range slices.Sorted(maps.Keys(req.Labels)) {
		flag("--label", k+"="+req.Labels[k])
	}
	flag("--tag", req.Refs...)
	for _, name := range slices.Sorted(maps.Keys(req.Contexts)) {
		nc := req.Contexts[name]
		flag("--build-context", name+"="+nc.Source+nc.Dir)
	}
	flag("--cache-from", req.CacheFrom...)
	flag("--secret", d.Secrets...)
	flag("--ssh", d.SSH...)
	if req.NoCache {
		c = append(c, "--no-cache")
	}
	return append(c, "-")
}
