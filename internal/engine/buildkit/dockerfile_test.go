package buildkit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/imagemake/imagemake/internal/schedule"
)

// mkfiles returns the files the state's file operations make: path → content.
func mkfiles(t *testing.T, req schedule.Request) map[string]string {
	t.Helper()
	st, ok, err := dockerfileInput(req)
	if err != nil || !ok {
		t.Fatalf("dockerfileInput: ok %v, %v", ok, err)
	}
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		for _, a := range op.GetFile().GetActions() {
			if mk := a.GetMkfile(); mk != nil {
				files[mk.Path] = string(mk.Data)
			}
		}
	}
	return files
}

func TestDockerfileInput(t *testing.T) {
	_, entries := digested(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY . /\n", "a.txt": "a"})
	got := mkfiles(t, schedule.Request{Context: entries})
	want := map[string]string{"/Dockerfile": "FROM scratch\nCOPY . /\n", "/Dockerfile.dockerignore": noIgnore}
	if len(got) != len(want) || got["/Dockerfile"] != want["/Dockerfile"] || got["/Dockerfile.dockerignore"] != noIgnore {
		t.Errorf("files = %q, want %q", got, want)
	}

	_, entries = digested(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY . /\n", "docker/app.Dockerfile": "FROM scratch\n"})
	got = mkfiles(t, schedule.Request{Dockerfile: "docker/app.Dockerfile", Context: entries})
	if got["/docker/app.Dockerfile"] != "FROM scratch\n" || got["/docker/app.Dockerfile.dockerignore"] != noIgnore {
		t.Errorf("files = %q", got)
	}
}

func TestDockerfileInputChanged(t *testing.T) {
	dir, entries := digested(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	_, _, err := dockerfileInput(schedule.Request{Context: entries})
	if !errors.Is(err, ErrChanged) {
		t.Errorf("a Dockerfile edited since hashed: err = %v, want ErrChanged", err)
	}
}

func TestDockerfileInputAbsent(t *testing.T) {
	_, entries := digested(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	if _, ok, err := dockerfileInput(schedule.Request{Dockerfile: "Other.Dockerfile", Context: entries}); ok || err != nil {
		t.Errorf("no such entry: ok %v, err %v; want the local to serve it", ok, err)
	}
}
