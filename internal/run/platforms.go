package run

import (
	"context"

	"github.com/imagemake/imagemake/internal/config"
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
