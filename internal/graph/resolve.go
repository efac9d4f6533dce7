package graph

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
)

// Resolve turns the project's images into nodes: explicit depends_on, `image:NAME` named contexts,
// and every Dockerfile reference (FROM, COPY --from, RUN --mount from) that names a project
// image's ref or one of its tags after normalisation. refs maps an image name to the references
// its Dockerfile reads from; a reference to the image's own ref is not a dependency.
func Resolve(p *config.Project, refs map[string][]dockerfile.Ref) ([]Node, error) {
	owner, err := refOwners(p)
	if err != nil {
		return nil, err
	}
	nodes := make([]Node, 0, len(p.Images))
	for _, img := range p.Images {
		n := Node{Name: img.Name}
		for _, d := range img.DependsOn {
			n.Deps = append(n.Deps, Dep{Name: d, Why: "depends_on"})
		}
		for _, key := range slices.Sorted(maps.Keys(img.Contexts)) {
			if name, ok := strings.CutPrefix(img.Contexts[key], "image:"); ok {
				n.Deps = append(n.Deps, Dep{Name: name, Why: "contexts." + key})
			}
		}
		for _, r := range refs[img.Name] {
			norm, err := dockerfile.Normalize(r.Ref)
			if err != nil {
				continue // not a valid reference: the engine will say so; it is no project image
			}
			if name, ok := owner[norm]; ok && name != img.Name {
				why := fmt.Sprintf("%s %s (%s line %d)", kindText[r.Kind], r.Ref, img.Dockerfile, r.Line)
				n.Deps = append(n.Deps, Dep{Name: name, Why: why})
			}
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

var kindText = map[string]string{
	dockerfile.KindFrom: "FROM", dockerfile.KindCopy: "COPY --from", dockerfile.KindMount: "RUN --mount from",
}

// refOwners maps every normalised ref and tag of the project to its image.
func refOwners(p *config.Project) (map[string]string, error) {
	owner := map[string]string{}
	for _, img := range p.Images {
		for _, r := range img.Refs() {
			norm, err := dockerfile.Normalize(r)
			if err != nil {
				return nil, fmt.Errorf("image %q: ref %q: %w", img.Name, r, err)
			}
			owner[norm] = img.Name
		}
	}
	return owner, nil
}
