package docker

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"

	buildtypes "github.com/docker/docker/api/types/build"

	"github.com/imagemake/imagemake/internal/build"
)

// BuildCall is what Build would send for a request, described without building: the Engine API
// call and the equivalent docker CLI command. Both come from buildOptions, the one place the
// call is made from; the BuildKit session and the build ID, made afresh for each build, are
// left out. Secrets appear by id and source, never by value.
type BuildCall struct {
	Method  string     `json:"method"`
	Path    string     `json:"path"`
	Query   url.Values `json:"query"`
	Secrets []string   `json:"secrets,omitempty"` // id=ID,src=FILE or id=ID,env=VAR
	// Command is `docker build` reading the context tar on stdin, run with DOCKER_BUILDKIT=1.
	Command []string `json:"command"`
}

// Describe describes the build of req (whose Context is not called).
func Describe(req build.Request) BuildCall {
	opts := buildOptions(req, "")
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	setJSON := func(k string, v any, n int) {
		if n > 0 {
			data, _ := json.Marshal(v) // maps and slices of strings always marshal
			q.Set(k, string(data))
		}
	}
	if len(opts.Tags) > 0 {
		q["t"] = slices.Clone(opts.Tags)
	}
	if opts.NoCache {
		q.Set("nocache", "1")
	}
	if opts.ForceRemove {
		q.Set("forcerm", "1")
	}
	set("networkmode", opts.NetworkMode)
	set("dockerfile", opts.Dockerfile)
	set("target", opts.Target)
	setJSON("buildargs", opts.BuildArgs, len(opts.BuildArgs))
	setJSON("labels", opts.Labels, len(opts.Labels))
	setJSON("cachefrom", opts.CacheFrom, len(opts.CacheFrom))
	set("platform", strings.ToLower(opts.Platform))
	set("version", string(opts.Version))
	d := BuildCall{Method: "POST", Path: "/build", Query: q, Secrets: secretSpecs(req.Secrets)}
	d.Command = command(opts, d.Secrets)
	return d
}

func secretSpecs(secrets []build.Secret) []string {
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

// command is the docker CLI command line that asks the engine for the same build.
func command(opts buildtypes.ImageBuildOptions, secrets []string) []string {
	c := []string{"docker", "build", "--file", opts.Dockerfile}
	flag := func(name string, values ...string) {
		for _, v := range values {
			if v != "" {
				c = append(c, name, v)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(opts.BuildArgs)) {
		flag("--build-arg", k+"="+*opts.BuildArgs[k])
	}
	flag("--target", opts.Target)
	flag("--platform", opts.Platform)
	flag("--network", opts.NetworkMode)
	for _, k := range slices.Sorted(maps.Keys(opts.Labels)) {
		flag("--label", k+"="+opts.Labels[k])
	}
	flag("--tag", opts.Tags...)
	flag("--cache-from", opts.CacheFrom...)
	flag("--secret", secrets...)
	if opts.NoCache {
		c = append(c, "--no-cache")
	}
	return append(c, "-")
}
