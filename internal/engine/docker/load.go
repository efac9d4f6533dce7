package docker

import (
	"context"
	"fmt"
	"io"
)

// Load loads a `docker save` tarball (what BuildKit's docker exporter writes) into the engine,
// with its tags. Progress reaches logs as Push's does.
func (e *Engine) Load(ctx context.Context, r io.Reader, logs func(string)) error {
	resp, err := e.api.ImageLoad(ctx, r)
	if err != nil {
		return fmt.Errorf("loading into the engine: %w", e.wrap(err))
	}
	defer resp.Body.Close()
	out := newLineWriter(logs)
	defer out.Flush()
	if err := readProgress(resp.Body, out); err != nil {
		return fmt.Errorf("loading into the engine: %w", err)
	}
	return nil
}
