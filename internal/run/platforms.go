package run

import (
	"context"
	"fmt"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/plan"
)

// labelOf is the imagemake.inputs label of the image ref names, read as img is built: of a
// multi-platform image, the label that every platform's image of the index carries (""
// when they differ: the index is not one build of these inputs); else the label of img's
// platform's image (the builder's when it names none).
func (s *Run) labelOf(ctx context.Context, ref string, img *config.Image) (string, error) {
	list := img.Platforms
	if len(list) == 0 {
		list = []string{img.Platform}
	}
	var label string
	for i, p := range list {
		l, err := s.reg.InputsFor(ctx, ref, p)
		if err != nil {
			return "", err
		}
		if i > 0 && l != label {
			return "", nil
		}
		label = l
	}
	return label, nil
}

// engineCannotPush refuses to push a multi-platform image from the engine: it holds one
// platform's image of it (pulled from the index), and pushing that under the image's refs and
// inputs tag would put one platform where the index belongs.
func engineCannotPush(pi *plan.Image) error {
	if len(pi.Config.Platforms) < 2 {
		return nil
	}
	return fmt.Errorf("image %s: platforms %s: the Docker engine holds one platform's image of it and cannot push an image index; "+
		"build it on a BuildKit daemon (builders: in imagemake.yaml, or --builder) with --push", pi.Name, strings.Join(pi.Config.Platforms, ", "))
}
