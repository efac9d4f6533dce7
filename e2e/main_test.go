package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// TestMain removes, after the tests, the untagged imagemake images they left: a rebuild moves a
// ref to a new image and leaves the old one dangling, which removeImages (by ref) cannot see. On
// a developer's engine hundreds of them pile up, and every plan lists them (about 1 ms each).
func TestMain(m *testing.M) {
	start := time.Now().Unix()
	code := m.Run()
	removeDanglingSince(start)
	os.Exit(code)
}

func removeDanglingSince(start int64) {
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return
	}
	defer c.Close()
	ctx := context.Background()
	list, err := c.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(
		filters.Arg("dangling", "true"), filters.Arg("label", "imagemake.inputs"))})
	if err != nil {
		return
	}
	for _, img := range list {
		if img.Created >= start {
			c.ImageRemove(ctx, img.ID, image.RemoveOptions{PruneChildren: true})
		}
	}
}
