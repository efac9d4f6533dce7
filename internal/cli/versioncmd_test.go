package cli

import (
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := run(t, dir, offline, "version")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[1], "  BuildKit: ") ||
		!strings.Contains(lines[2], runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, short, _ := run(t, dir, offline, "--version")
	if code != 0 || short != lines[0]+"\n" {
		t.Fatalf("--version: exit %d, %q; want the first line of version, %q", code, short, lines[0])
	}
}

func TestVersionLine(t *testing.T) {
	v := versionInfo{Module: "github.com/imagemake/imagemake", Version: "v1.2.0", Revision: "0123456789abcdef0123", Modified: true}
	if got, want := v.String(), "github.com/imagemake/imagemake v1.2.0 0123456789ab-dirty"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}
