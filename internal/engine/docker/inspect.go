package docker

import (
	"context"
	"fmt"
)

// Inputs returns the InputsLabel of the engine's image ref ("" when it has none).
func (e *Engine) Inputs(ctx context.Context, ref string) (string, error) {
	img, err := e.api.ImageInspect(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("inspecting %s: %w", ref, e.wrap(err))
	}
	if img.Config == nil {
		return "", nil
	}
	return img.Config.Labels[InputsLabel], nil
}
