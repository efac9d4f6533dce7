package run

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
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

// readForBuilder reads the Dockerfiles whose reading depends on the builder's platform
// (project.Model.PlatformDependent: a FROM line or context path made from TARGETARCH,
// BUILDPLATFORM... in an image without platform:) for the platform of the builder that builds
// by default: the first of builders: (or $BUILDKIT_HOST), else the Docker engine's BuildKit.
// The builder is asked only when such a Dockerfile exists, before anything is planned, so
// plan, build and every machine of that platform agree on the inputs. When it does not answer,
// the Dockerfiles stay read for linux/amd64 with their platform-dependent paths counting the
// whole context, and the returned warning says so.
func readForBuilder(ctx context.Context, m *project.Model) string {
	names := m.PlatformDependent()
	if len(names) == 0 || m.BuildPlatform != "" {
		return ""
	}
	p, err := defaultBuilderPlatform(ctx, m)
	if err == nil {
		err = m.ForBuilder(p)
	}
	if err != nil {
		return fmt.Sprintf("images %s read platform args without a platform: and the builder's platform is not known (%v): each counts its whole context",
			strings.Join(names, ", "), err)
	}
	return ""
}

// defaultBuilders are the BuildKit daemons a build uses without --builder: builders: in
// imagemake.yaml, else $BUILDKIT_HOST; none: the Docker engine's own BuildKit.
func defaultBuilders(m *project.Model) []string {
	if len(m.Project.Builders) > 0 {
		return m.Project.Builders
	}
	if host := m.Project.Env["BUILDKIT_HOST"]; host != "" {
		return []string{host}
	}
	return nil
}

// defaultBuilderPlatform is the platform of the builder a build uses without --builder.
func defaultBuilderPlatform(ctx context.Context, m *project.Model) (string, error) {
	addrs := defaultBuilders(m)
	var b *buildkit.Builder
	if len(addrs) > 0 {
		var err error
		if b, err = buildkit.Dial(ctx, addrs[0]); err != nil {
			return "", err
		}
	} else {
		e, err := docker.New(ctx, m.Project.Env)
		if err != nil {
			return "", err
		}
		defer e.Close()
		if b, err = e.BuildKit(ctx); err != nil {
			return "", err
		}
	}
	defer b.Close()
	return b.Platform(), nil
}

// checkReadFor refuses to build, on a builder of another platform than the one the
// platform-dependent Dockerfiles were read for (--builder naming another builder than the
// default), an image whose Dockerfile was read so: its inputs would not be what that build
// reads. Images up to date are not built, so they do not count.
func (s *Run) checkReadFor(builder string) error {
	m := s.Model
	if m.BuildPlatform == "" || m.BuildPlatform == builder {
		return nil
	}
	var names []string
	for _, pi := range s.Images {
		if pi.Status != plan.UpToDate && slices.Contains(m.ReadForBuilder, pi.Name) {
			names = append(names, pi.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return badInput(fmt.Errorf("images %s read platform args without a platform:, and were read for %s, the platform of the default builder; "+
		"this build runs on a %s builder: give them platform: (or platforms:), or build on the default builder",
		strings.Join(names, ", "), m.BuildPlatform, builder))
}
