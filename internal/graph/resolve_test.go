package graph

import (
	"reflect"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
)

func TestResolve(t *testing.T) {
	p := &config.Project{Images: []*config.Image{
		{Name: "pybase", Ref: "acme/pybase:dev", Tags: []string{"docker.io/acme/pybase:latest"}, Dockerfile: "Dockerfile"},
		{Name: "svc", Ref: "acme/svc:dev", Dockerfile: "Dockerfile", DependsOn: []string{"tools"}},
		{Name: "tools", Ref: "tools", Dockerfile: "Dockerfile"},
		{Name: "web", Ref: "acme/web:dev", Dockerfile: "web.Dockerfile", Contexts: map[string]string{"base": "image:pybase", "src": "src"}},
	}}
	refs := map[string][]dockerfile.Ref{
		"pybase": {{Ref: "acme/pybase:dev", Kind: dockerfile.KindFrom, Line: 1}}, // its own ref: no edge
		"svc": {
			{Ref: "acme/pybase", Kind: dockerfile.KindFrom, Line: 3},                    // :latest tag
			{Ref: "docker.io/library/tools:latest", Kind: dockerfile.KindCopy, Line: 5}, // normalised
			{Ref: "busybox:1.36", Kind: dockerfile.KindFrom, Line: 7},                   // not a project image
		},
		"web": {{Ref: "acme/svc:dev", Kind: dockerfile.KindMount, Line: 2}},
	}
	nodes, err := Resolve(p, refs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Dep{}
	for _, n := range nodes {
		got[n.Name] = n.Deps
	}
	want := map[string][]Dep{
		"pybase": nil,
		"svc": {
			{Name: "tools", Why: "depends_on"},
			{Name: "pybase", Why: "FROM acme/pybase (Dockerfile line 3)"},
			{Name: "tools", Why: "COPY --from docker.io/library/tools:latest (Dockerfile line 5)"},
		},
		"tools": nil,
		"web": {
			{Name: "pybase", Why: "contexts.base"},
			{Name: "svc", Why: "RUN --mount from acme/svc:dev (web.Dockerfile line 2)"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("deps:\n got %v\nwant %v", got, want)
	}
}
