package inputs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
)

// secretImage is the image "child" of context child that has child/.npmrc as secret npmrc.
func secretImage() *config.Image {
	img := image("child", "child")
	img.Secrets = []config.Secret{{ID: "npmrc", Src: "child/.npmrc"}}
	return img
}

func TestSecretInsideTheContextIsLeftOut(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "child/Dockerfile=FROM scratch\nCOPY . .\n", "child/.npmrc=token=1", "child/a.txt")
	img := secretImage()
	s := newTestScanner(t, testProject(root))
	got := names(contextOf(t, s, img))
	if want := []string{"Dockerfile", "a.txt"}; !slices.Equal(got, want) {
		t.Fatalf("context %q, want %q", got, want)
	}
	if w := s.secretWarnings(img); len(w) != 1 || !strings.Contains(w[0], `image "child": secret "npmrc" (child/.npmrc)`) {
		t.Fatalf("warnings %q, want one naming the image, the secret and its file", w)
	}

	var tarred strings.Builder
	must(t, WriteTar(&tarred, contextOf(t, s, img)))
	if strings.Contains(tarred.String(), ".npmrc") || strings.Contains(tarred.String(), "token=1") {
		t.Fatal("the context tar holds the secret")
	}

	// The secret's content is no input; its id is.
	before := digestOf(t, testProject(root), img, nil, nil).Digest
	must(t, os.WriteFile(filepath.Join(root, "child/.npmrc"), []byte("token=2"), 0o644))
	if after := digestOf(t, testProject(root), img, nil, nil).Digest; after != before {
		t.Fatalf("a new secret content changed the digest: %s to %s", before, after)
	}
	must(t, os.Remove(filepath.Join(root, "child/.npmrc")))
	if gone := digestOf(t, testProject(root), img, nil, nil).Digest; gone != before {
		t.Fatalf("the digest with the secret file in the context (%s) is not the one without it (%s)", before, gone)
	}
	if noID := digestOf(t, testProject(root), image("child", "child"), nil, nil).Digest; noID == before {
		t.Fatal("the secret's id is not part of the digest")
	}
}

func TestSecretInsideAnIncludeOrNamedContextIsLeftOut(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "app/Dockerfile=FROM scratch\nCOPY . .\n", "shared/keys/npmrc=token", "shared/lib.txt")
	img := image("app", "app")
	img.Include = []config.Include{{From: "shared", To: "vendor"}}
	img.Contexts = map[string]string{"shared": "shared"}
	img.Secrets = []config.Secret{{ID: "npmrc", Src: filepath.Join(root, "shared/keys/npmrc")}}
	s := newTestScanner(t, testProject(root))
	got := names(contextOf(t, s, img))
	if want := []string{"Dockerfile", "vendor/", "vendor/keys/", "vendor/lib.txt"}; !slices.Equal(got, want) {
		t.Fatalf("context %q, want %q", got, want)
	}
	named, err := s.NamedContext(img, "shared")
	must(t, err)
	if want := []string{"keys/", "lib.txt"}; !slices.Equal(names(named), want) {
		t.Fatalf("named context %q, want %q", names(named), want)
	}
	if w := s.secretWarnings(img); len(w) != 2 {
		t.Fatalf("warnings %q, want one for the include, one for the named context", w)
	}
}

func TestSecretAlreadyExcludedDrawsNoWarning(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "child/Dockerfile=FROM scratch\n", "child/.npmrc=token", "child/.dockerignore=.npmrc\n")
	img := secretImage()
	s := newTestScanner(t, testProject(root))
	if w := s.secretWarnings(img); len(w) != 0 {
		t.Fatalf("warnings %q for a secret the .dockerignore excludes", w)
	}
	if got := names(contextOf(t, s, img)); slices.Contains(got, ".npmrc") {
		t.Fatalf("context %q holds the secret", got)
	}
}

func TestSecretOutsideTheContextChangesNothing(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "child/Dockerfile=FROM scratch\n", "secrets/npmrc=token")
	img := image("child", "child")
	img.Secrets = []config.Secret{{ID: "npmrc", Src: "secrets/npmrc"}}
	s := newTestScanner(t, testProject(root))
	if w := s.secretWarnings(img); len(w) != 0 {
		t.Fatalf("warnings %q for a secret outside the context", w)
	}
	if got := names(contextOf(t, s, img)); !slices.Equal(got, []string{"Dockerfile"}) {
		t.Fatalf("context %q", got)
	}
}
