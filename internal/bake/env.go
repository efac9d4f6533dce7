package bake

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	bk "github.com/docker/buildx/bake"
)

// variables is what bake's variables and Compose interpolation read: the environment given.
// Bake reads a Compose-form file with the `.env` of the folder it runs in, the project root,
// where a variable already set wins.
func variables(opt Options, files []bk.File) (map[string]string, error) {
	vars := maps.Clone(opt.Env)
	if vars == nil {
		vars = map[string]string{}
	}
	if !anyCompose(files) {
		return vars, nil
	}
	data, err := os.ReadFile(filepath.Join(opt.Root, ".env"))
	if os.IsNotExist(err) {
		return vars, nil
	}
	if err != nil {
		return nil, err
	}
	dot, err := dotenv.UnmarshalBytesWithLookup(data, func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
	if err != nil {
		return nil, fmt.Errorf("reading it for the Compose-form bake files: %w", err)
	}
	for k, v := range dot {
		if _, set := vars[k]; !set {
			vars[k] = v
		}
	}
	return vars, nil
}

// anyCompose says whether bake may read one of the files as a Compose file: bake reads .hcl and
// .json as HCL, anything else as Compose first.
func anyCompose(files []bk.File) bool {
	for _, f := range files {
		n := strings.ToLower(f.Name)
		if !strings.HasSuffix(n, ".hcl") && !strings.HasSuffix(n, ".json") {
			return true
		}
	}
	return false
}
