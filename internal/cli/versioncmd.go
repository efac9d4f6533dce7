package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildkitModule is the module whose version says which BuildKit client and Dockerfile
// frontend imagemake carries.
const buildkitModule = "github.com/moby/buildkit"

// versionInfo is what `imagemake version` prints, read from the binary's build information.
type versionInfo struct {
	Module, Version, Revision string
	Modified                  bool
	BuildKit, Go, Platform    string
}

func readVersion() versionInfo {
	v := versionInfo{Module: "github.com/imagemake/imagemake", Version: "(unknown)", BuildKit: "(unknown)",
		Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Module, v.Version = bi.Main.Path, bi.Main.Version
	for _, dep := range bi.Deps {
		if dep.Path == buildkitModule {
			v.BuildKit = dep.Version
			if dep.Replace != nil {
				v.BuildKit = dep.Replace.Version
			}
		}
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the first line, as `docker buildx version` prints its own: module, version, commit.
func (v versionInfo) String() string {
	s := v.Module + " " + v.Version
	if v.Revision != "" {
		s += " " + v.Revision[:min(12, len(v.Revision))]
		if v.Modified {
			s += "-dirty"
		}
	}
	return s
}

func (v versionInfo) write(w io.Writer) {
	fmt.Fprintln(w, v.String())
	fmt.Fprintf(w, "  BuildKit: %s (client and Dockerfile frontend)\n", v.BuildKit)
	fmt.Fprintf(w, "  Go:       %s %s\n", v.Go, v.Platform)
}

func newVersion(g *global) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show imagemake's version, and the BuildKit and Go it was built with",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			readVersion().write(g.io.Out)
			return nil
		},
	}
}
