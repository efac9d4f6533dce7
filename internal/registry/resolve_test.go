package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/registry"
)

func TestResolve(t *testing.T) {
	f, host := serve(t)
	single := push(t, host+"/python:3.12-slim", labelled(t, nil))
	amd, arm := labelled(t, map[string]string{"a": "amd"}), labelled(t, map[string]string{"a": "arm"})
	idx := pushIndex(t, host+"/python:3.12", index(attested(labelled(t, nil)), platformed(amd, "linux", "amd64"), platformed(arm, "linux", "arm64")))
	armDigest, err := arm.Digest()
	if err != nil {
		t.Fatal(err)
	}
	pinned := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		base     registry.Base
		want     string
		requests int
	}{
		{registry.Base{Ref: host + "/python:3.12-slim"}, single, 1},
		{registry.Base{Ref: host + "/python:3.12-slim", Platform: "linux/arm64"}, single, 1},
		{registry.Base{Ref: host + "/python:3.12"}, idx, 1},
		{registry.Base{Ref: host + "/python:3.12", Platform: "linux/arm64"}, armDigest.String(), 1},
		{registry.Base{Ref: host + "/python:3.12@" + pinned}, pinned, 0},
	}
	c := client()
	for _, tc := range cases {
		f.reset()
		got, err := c.Resolve(context.Background(), tc.base)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%+v) = %q, %v; want %s", tc.base, got, err, tc.want)
		}
		if n := f.count("", "/v2/"); n > tc.requests+1 { // +1: the /v2/ ping of a new repository
			t.Errorf("Resolve(%+v): %d requests, want %d:\n%s", tc.base, n, tc.requests, f.log())
		}
		if n := f.count("", "/blobs/"); n != 0 {
			t.Errorf("Resolve(%+v) read %d blobs, want none", tc.base, n)
		}
	}
}

func TestResolveAllSaysWhichBaseFailed(t *testing.T) {
	_, host := serve(t)
	digest := push(t, host+"/base:1", labelled(t, nil))
	pushIndex(t, host+"/multi:1", index(platformed(labelled(t, nil), "linux", "amd64"), platformed(labelled(t, nil), "linux", "arm64")))
	bases := []registry.Base{{Ref: host + "/base:1"}, {Ref: host + "/gone:1"}, {Ref: host + "/multi:1", Platform: "linux/s390x"}}
	got, errs := client().ResolveAll(context.Background(), bases, 2)
	if got[0] != digest || errs[0] != nil {
		t.Errorf("base:1 = %q, %v; want %s", got[0], errs[0], digest)
	}
	if !errors.Is(errs[1], registry.ErrNotFound) || !strings.Contains(errs[1].Error(), host+"/gone:1") {
		t.Errorf("gone:1: %v, want ErrNotFound naming it", errs[1])
	}
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "linux/s390x") || !strings.Contains(errs[2].Error(), host+"/multi:1") {
		t.Errorf("multi:1 for linux/s390x: %v, want an error naming the ref and the platform", errs[2])
	}
}
