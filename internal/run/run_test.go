package run

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
	"github.com/imagemake/imagemake/internal/schedule"
)

// noRegistry is a project whose repo names no registry: nothing is asked of one.
var noRegistry = &project.Model{Project: &config.Project{Repo: "acme"}}

func TestPushRefusesBeforeAnythingRuns(t *testing.T) {
	stale := &plan.Image{Name: "api", Status: plan.Stale, Reason: "never built"}
	fresh := &plan.Image{Name: "base", Status: plan.UpToDate}
	for _, c := range []struct {
		name string
		run  *Run
		want string
	}{
		{"no engine", &Run{Images: []*plan.Image{fresh}, EngineErr: errors.New("no socket")}, "cannot push: no socket"},
		{"a stale image", &Run{Model: noRegistry, Images: []*plan.Image{fresh, stale}}, "not up to date, build first: api (never built)"},
	} {
		events := 0
		results, err := c.run.Push(context.Background(), Options{}, func(schedule.Event) { events++ })
		if KindOf(err) != Failed || !strings.Contains(fmt.Sprint(err), c.want) || results != nil || events != 0 {
			t.Errorf("%s: results %v, %d events, err %v (kind %d); want a Failed error %q and nothing run", c.name, results, events, err, KindOf(err), c.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	for err, want := range map[error]Kind{
		badInput(errors.New("x")):                          BadInput,
		fmt.Errorf("wrapped: %w", failed(errors.New("y"))): Failed,
		errors.New("plain"):                                0,
		nil:                                                0,
	} {
		if got := KindOf(err); got != want {
			t.Errorf("KindOf(%v) = %d, want %d", err, got, want)
		}
	}
}
