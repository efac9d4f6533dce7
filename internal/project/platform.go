package project

import (
	"fmt"
	"slices"

	"github.com/imagemake/imagemake/internal/dockerfile"
)

// PlatformDependent names, sorted, the images that name no platform and whose Dockerfile reads
// differently on a builder of another platform (dockerfile.Info.PlatformDependent): a FROM
// line or a context path made from TARGETARCH, BUILDPLATFORM... Only the builder knows them.
func (m *Model) PlatformDependent() []string {
	var out []string
	for _, img := range m.Images {
		if info := m.Dockerfiles[img.Name]; info != nil && info.PlatformDependent() {
			out = append(out, img.Name)
		}
	}
	slices.Sort(out)
	return out
}

// ForBuilder reads again, for the builder's platform p (its worker's, such as linux/arm64),
// the Dockerfiles of the images PlatformDependent names: their bases and context paths become
// those the builder's build reads (COPY bin/${TARGETARCH}/app reads bin/arm64/app only). When a
// base they name changed, the graph is resolved again. It sets BuildPlatform and
// ReadForBuilder.
func (m *Model) ForBuilder(p string) error {
	names := m.PlatformDependent()
	regraph := false
	for _, name := range names {
		img := m.Image(name)
		info, err := parseDockerfile(m.Project, img, p)
		if err != nil {
			return err
		}
		regraph = regraph || !slices.Equal(refNames(m.Dockerfiles[name]), refNames(info))
		m.Dockerfiles[name] = info
	}
	m.BuildPlatform, m.ReadForBuilder = p, names
	if !regraph {
		return nil
	}
	g, err := graphOf(m.Project, m.Dockerfiles)
	if err != nil {
		return fmt.Errorf("the Dockerfiles read for the builder's platform %s: %w", p, err)
	}
	m.Graph = g
	return nil
}

func refNames(info *dockerfile.Info) []string {
	var out []string
	for _, r := range info.TargetRefs() {
		out = append(out, r.Ref)
	}
	return out
}
