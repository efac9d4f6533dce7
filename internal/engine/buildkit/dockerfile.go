package buildkit

import (
	"fmt"
	"io"
	"path"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/schedule"
)

// noIgnore is the Dockerfile's ignore file the frontend is given: a comment, no pattern. The
// entries sent are already what the ignore rules leave (inputs applies .dockerignore and
// <Dockerfile>.dockerignore), so the frontend has nothing more to exclude, and finding this
// file it does not read the context's .dockerignore through a solve of its own.
const noIgnore = "# imagemake sends the context with its ignore rules applied\n"

// dockerfileInput is the frontend's "dockerfile" input: the Dockerfile read here (checked
// against the hash it was digested with, as every file sent) into a file of an otherwise empty
// state, beside noIgnore. The frontend then reads it from a small, cached LLB file operation
// instead of syncing the "dockerfile" local and, in a second sync, the context's .dockerignore
// (two session round trips per build). ok is false when the request's entries do not hold the
// Dockerfile; the "dockerfile" local serves it then.
func dockerfileInput(req schedule.Request) (st llb.State, ok bool, err error) {
	name := inputs.BuildDockerfile(req.Dockerfile)
	e, found := findEntry(req.Context, name)
	if !found || !e.IsFile() {
		return llb.State{}, false, nil
	}
	data, err := readChecked(e)
	if err != nil {
		return llb.State{}, false, err
	}
	fa := llb.Mkfile("/"+name, 0o644, data)
	if dir := path.Dir(name); dir != "." {
		fa = llb.Mkdir("/"+dir, 0o755, llb.WithParents(true)).Mkfile("/"+name, 0o644, data)
	}
	fa = fa.Mkfile("/"+name+".dockerignore", 0o644, []byte(noIgnore))
	return llb.Scratch().File(fa, dockerui.WithInternalName("load build definition from "+name)), true, nil
}

// findEntry returns the entry named name of entries, which are in path order.
func findEntry(entries []inputs.Entry, name string) (inputs.Entry, bool) {
	for _, e := range entries {
		if e.Name == name {
			return e, true
		}
	}
	return inputs.Entry{}, false
}

// readChecked reads the file of entry e whole, failing with a *ChangedError when its bytes are
// not those it was digested with.
func readChecked(e inputs.Entry) ([]byte, error) {
	f := newFS([]inputs.Entry{e})
	r, err := f.Open(e.Name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the Dockerfile: %w", err)
	}
	return data, nil
}
