package docker

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// ImageChange is an event of the engine about an image: tagged, untagged, deleted, pulled,
// loaded or imported. Name is a ref (or, untagged or deleted by ID, the image's ID); ID is the
// image's ID.
type ImageChange struct {
	Action string
	Name   string
	ID     string
}

// ImageChanges streams the engine's image events from now on, until ctx ends or the
// connection drops: then errs gets why. An engine before Docker 23 sends none for an image its
// BuildKit names: the one that builds knows what it built.
func (e *Engine) ImageChanges(ctx context.Context) (<-chan ImageChange, <-chan error) {
	msgs, errs := e.api.Events(ctx, events.ListOptions{Filters: filters.NewArgs(filters.Arg("type", string(events.ImageEventType)))})
	out := make(chan ImageChange)
	outErr := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			select {
			case m := <-msgs:
				select {
				case out <- ImageChange{Action: string(m.Action), Name: m.Actor.Attributes["name"], ID: m.Actor.ID}:
				case <-ctx.Done():
					outErr <- ctx.Err()
					return
				}
			case err := <-errs:
				outErr <- fmt.Errorf("the image events of the Docker engine at %s: %w", e.Endpoint(), e.wrap(err))
				return
			}
		}
	}()
	return out, outErr
}
