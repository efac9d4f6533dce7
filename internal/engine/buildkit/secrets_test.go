package buildkit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/session/secrets"

	"github.com/imagemake/imagemake/internal/schedule"
)

func TestSecretStore(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := secretStore{
		secrets: []schedule.Secret{{ID: "f", Src: file}, {ID: "e", Env: "TOKEN"}, {ID: "unset", Env: "NOPE"}, {ID: "gone", Src: file + ".gone"}},
		env:     map[string]string{"TOKEN": "from-env"},
	}
	ctx := context.Background()
	for id, want := range map[string]string{"f": "from-file", "e": "from-env"} {
		if got, err := s.GetSecret(ctx, id); err != nil || string(got) != want {
			t.Errorf("secret %s: %q, %v; want %q", id, got, err, want)
		}
	}
	if _, err := s.GetSecret(ctx, "other"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("a secret the build was not given: %v, want ErrNotFound", err)
	}
	for _, id := range []string{"unset", "gone"} {
		if _, err := s.GetSecret(ctx, id); err == nil || errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("secret %s: %v, want an error other than ErrNotFound", id, err)
		}
	}
}
