package plan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/project"
)

const argsConfig = `version: 1
repo: ${DOCKER_REPO:-reg.example.com/acme}
tag: ${DOCKER_TAG:-dev}
images:
  db:
    context: db
    args: {DOCKER_TAG: "${DOCKER_TAG:-dev}", DOCKER_REPO: "${DOCKER_REPO:-reg.example.com/acme}"}
  app:
    context: app
    args: {DOCKER_TAG: "${DOCKER_TAG:-dev}", DOCKER_REPO: "${DOCKER_REPO:-reg.example.com/acme}", PYVER: "${PYVER:-3.12}"}
  ext:
    context: ext
    args: {BASE_TAG: "${BASE_TAG:-3.11}", DOCKER_TAG: "${DOCKER_TAG:-dev}"}
  labelled:
    context: labelled
`

var argsTree = map[string]string{
	"imagemake.yaml":      argsConfig,
	"db/Dockerfile":       "FROM scratch\nCOPY x /x\n",
	"db/x":                "x",
	"app/Dockerfile":      "ARG DOCKER_REPO\nARG DOCKER_TAG\nFROM ${DOCKER_REPO}/db:${DOCKER_TAG}\nARG PYVER\nRUN echo $PYVER\n",
	"ext/Dockerfile":      "ARG BASE_TAG\nFROM python:${BASE_TAG}\nRUN true\n",
	"labelled/Dockerfile": "FROM scratch\nARG DOCKER_TAG\nLABEL version=$DOCKER_TAG\n",
}

// digests loads the project with env and returns each image's manifest.
func digests(t *testing.T, root string, env map[string]string) map[string]*inputs.Manifest {
	t.Helper()
	m, err := project.Load(context.Background(), project.Options{Dir: root, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := inputs.NewScanner(m.Project)
	if err != nil {
		t.Fatal(err)
	}
	images, err := Compute(m, sc, inputs.OpenState(m.Root), Options{Names: m.Graph.Names()})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*inputs.Manifest{}
	for _, pi := range images {
		out[pi.Name] = pi.Manifest
	}
	return out
}

// A new tag passed as an arg that only names base images changes no digest; an arg a stage
// reads does, named by the reason; an arg that shapes an external FROM does through the ref.
func TestArgsCountByWhatTheyChange(t *testing.T) {
	root := t.TempDir()
	for name, content := range argsTree {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := digests(t, root, map[string]string{"DOCKER_TAG": "c0ffee1"})
	retag := digests(t, root, map[string]string{"DOCKER_TAG": "feedbee"})
	for _, name := range []string{"db", "app", "ext"} {
		if retag[name].Digest != base[name].Digest {
			t.Errorf("%s: a new DOCKER_TAG changed the digest: %q", name, inputs.Explain(base[name], retag[name]))
		}
	}
	if retag["labelled"].Digest == base["labelled"].Digest {
		t.Errorf("labelled: a new DOCKER_TAG, which a stage reads (LABEL), kept the digest")
	}
	if got := base["app"].ExtraArgs["DOCKER_TAG"]; got != "c0ffee1" {
		t.Errorf("app: DOCKER_TAG %q among the args passed, want c0ffee1", got)
	}

	pyver := digests(t, root, map[string]string{"DOCKER_TAG": "c0ffee1", "PYVER": "3.13"})
	if why := strings.Join(inputs.Explain(base["app"], pyver["app"]), "; "); why != "build arg PYVER changed" {
		t.Errorf("app after a PYVER change: %q, want build arg PYVER changed", why)
	}
	if pyver["db"].Digest != base["db"].Digest {
		t.Errorf("db: PYVER, which db does not declare, changed its digest")
	}

	bumped := digests(t, root, map[string]string{"DOCKER_TAG": "c0ffee1", "BASE_TAG": "3.12"})
	if why := strings.Join(inputs.Explain(base["ext"], bumped["ext"]), "; "); why != "FROM python:3.11 changed to python:3.12" {
		t.Errorf("ext after a BASE_TAG change: %q, want the FROM named", why)
	}
}
