package scaffold

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// A `${{ }}` (GitHub) value is one only the CI run knows; GitLab's $VARIABLES are left out by
// parseBuild as every unexpanded variable is.

// workflow is the part of a GitHub Actions workflow that says how images are built.
type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
			Dir  string            `yaml:"working-directory"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// workflowFiles are the GitHub Actions workflows of the tree: Scan skips hidden folders.
func workflowFiles(fsys fs.FS) []string {
	var out []string
	for _, pattern := range []string{".github/workflows/*.yml", ".github/workflows/*.yaml"} {
		m, _ := fs.Glob(fsys, pattern)
		out = append(out, m...)
	}
	slices.Sort(out)
	return out
}

// workflowBuilds reads the image builds of a workflow: docker/build-push-action steps and
// `docker build` commands of run: steps. Values holding ${{ }} are left out: only a run
// knows them.
func workflowBuilds(fsys fs.FS, file string) []dockerBuild {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		return nil
	}
	var out []dockerBuild
	for _, name := range sortedJobs(wf) {
		for i, st := range wf.Jobs[name].Steps {
			where := fmt.Sprintf("%s (job %s, step %d)", file, name, i+1)
			if strings.HasPrefix(st.Uses, "docker/build-push-action@") {
				if b, ok := actionBuild(st.With); ok {
					b.where, b.written = where, "docker/build-push-action"
					out = append(out, b)
				}
				continue
			}
			dir := path.Clean(st.Dir)
			if st.Dir == "" {
				dir = "."
			}
			out = append(out, scriptBuilds(st.Run, dir, where)...)
		}
	}
	return out
}

func sortedJobs(wf workflow) []string {
	var names []string
	for n := range wf.Jobs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// actionBuild reads the inputs of docker/build-push-action: context (default the checkout,
// "."), file (relative to the workspace, default {context}/Dockerfile), tags and build-args
// (one per line or comma-separated).
func actionBuild(with map[string]string) (dockerBuild, bool) {
	ctx := with["context"]
	if ctx == "" {
		ctx = "."
	}
	if strings.Contains(ctx, "${{") || strings.Contains(ctx, "://") || strings.Contains(with["file"], "${{") {
		return dockerBuild{}, false
	}
	b := dockerBuild{context: path.Clean(ctx)}
	b.dockerfile = path.Join(b.context, "Dockerfile")
	if f := with["file"]; f != "" {
		b.dockerfile = path.Clean(f)
	}
	for _, t := range listInput(with["tags"]) {
		if !strings.Contains(t, "${{") {
			b.tags = append(b.tags, t)
		}
	}
	for _, a := range listInput(with["build-args"]) {
		if k, v, ok := strings.Cut(a, "="); ok && !strings.Contains(v, "${{") {
			if b.args == nil {
				b.args = map[string]string{}
			}
			b.args[k] = v
		}
	}
	return b, !strings.HasPrefix(b.context, "..") && !strings.HasPrefix(b.dockerfile, "..")
}

// listInput splits an action's list input: one item per line, or comma-separated.
func listInput(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for _, item := range strings.Split(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// gitlabBuilds reads the `docker build` commands of .gitlab-ci.yml: every string of the file is
// read as script lines, run from the root.
func gitlabBuilds(fsys fs.FS) []dockerBuild {
	const file = ".gitlab-ci.yml"
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil
	}
	var out []dockerBuild
	var walk func(v any, job string)
	walk = func(v any, job string) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				if job == "" {
					walk(v[k], k)
				} else {
					walk(v[k], job)
				}
			}
		case []any:
			for _, item := range v {
				walk(item, job)
			}
		case string:
			out = append(out, scriptBuilds(v, ".", fmt.Sprintf("%s (job %s)", file, job))...)
		}
	}
	walk(doc, "")
	return out
}

// scriptBuilds reads the docker build commands of shell lines run in dir.
func scriptBuilds(script, dir, where string) []dockerBuild {
	var out []dockerBuild
	for _, line := range strings.Split(strings.ReplaceAll(script, "\\\n", " "), "\n") {
		for _, cmd := range splitCommands(line) {
			if strings.HasPrefix(strings.TrimSpace(cmd), "cd ") {
				break
			}
			if strings.Contains(cmd, "${{") {
				continue
			}
			if b, ok := parseBuild(cmd, dir); ok {
				b.where, b.written = where, shorten(strings.TrimSpace(cmd))
				out = append(out, b)
			}
		}
	}
	return out
}
