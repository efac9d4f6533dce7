package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// inputsDoc is an inputs manifest as JSON, large enough for compression to matter.
func inputsDoc(image string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"version":2,"image":"` + image + `","files":[`)
	for i := range 200 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":"src/f` + strings.Repeat("x", i%7) + `.lua","value":"f 0644 12 0123456789abcdef"}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// Against Debian's docker-registry 2.8: an inputs artifact stored under two tags reads back
// the same from each, the first held of a list of tags is found, absent ones are not.
func TestInputsArtifactOnDistribution(t *testing.T) {
	host := registrytest.Start(t, registrytest.Options{})
	ctx := context.Background()
	c := client()
	doc := inputsDoc("api")
	repo := host + "/team/api"
	if err := c.StoreInputs(ctx, doc, repo+":in-0123456789abcdef.inputs", repo+":a1b2c3d4e5f6.inputs"); err != nil {
		t.Fatalf("StoreInputs: %v", err)
	}
	for _, tag := range []string{"in-0123456789abcdef.inputs", "a1b2c3d4e5f6.inputs"} {
		got, err := c.FetchInputs(ctx, repo+":"+tag)
		if err != nil || !bytes.Equal(got, doc) {
			t.Errorf("FetchInputs(%s) = %d bytes, %v; want the %d bytes stored", tag, len(got), err, len(doc))
		}
	}
	tag, got, err := c.FetchFirstInputs(ctx, repo, []string{"ffffffffffff.inputs", "a1b2c3d4e5f6.inputs", "in-0123456789abcdef.inputs"})
	if err != nil || tag != "a1b2c3d4e5f6.inputs" || !bytes.Equal(got, doc) {
		t.Errorf("FetchFirstInputs = %q, %d bytes, %v; want the second tag and its doc", tag, len(got), err)
	}
	tag, got, err = c.FetchFirstInputs(ctx, repo, []string{"ffffffffffff.inputs"})
	if err != nil || tag != "" || got != nil {
		t.Errorf("FetchFirstInputs of tags not held = %q, %v, %v; want nothing and no error", tag, got, err)
	}
	tag, _, err = c.FetchFirstInputs(ctx, host+"/team/never-pushed", []string{"a1b2c3d4e5f6.inputs"})
	if err != nil || tag != "" {
		t.Errorf("FetchFirstInputs in a repository the registry lacks = %q, %v; want nothing and no error", tag, err)
	}
	if _, err := c.FetchInputs(ctx, repo+":absent.inputs"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("FetchInputs of an absent tag: %v, want ErrNotFound", err)
	}
	assertArtifact(t, repo+":a1b2c3d4e5f6.inputs")
}

// assertArtifact checks the stored manifest is an OCI artifact as documented.
func assertArtifact(t *testing.T, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	if desc.MediaType != types.OCIManifestSchema1 || m.ArtifactType != registry.InputsArtifactType ||
		m.Config.MediaType != types.OCIEmptyJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != registry.InputsLayerType {
		t.Errorf("stored manifest %s: %s", desc.MediaType, desc.Manifest)
	}
	if m.Layers[0].Size >= int64(len(inputsDoc("api"))) {
		t.Errorf("the layer is %d bytes for a doc of %d: not compressed", m.Layers[0].Size, len(inputsDoc("api")))
	}
}

// What is no inputs artifact is ErrNotInputs, not a doc: an image under the tag, a layer that
// is not zstd.
func TestFetchInputsCorrupt(t *testing.T) {
	_, host := serve(t)
	ctx := context.Background()
	push(t, host+"/app:image.inputs", labelled(t, nil))
	putArtifact(t, host+"/app:garbage.inputs", static.NewLayer([]byte("not zstd at all"), registry.InputsLayerType))
	for _, tag := range []string{"image.inputs", "garbage.inputs"} {
		if doc, err := client().FetchInputs(ctx, host+"/app:"+tag); !errors.Is(err, registry.ErrNotInputs) || !strings.Contains(err.Error(), tag) {
			t.Errorf("FetchInputs(%s) = %q, %v; want ErrNotInputs naming the tag", tag, doc, err)
		}
	}
}

// putArtifact writes an inputs artifact of the given layer, bypassing the Client under test.
func putArtifact(t *testing.T, ref string, layer v1.Layer) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	config := static.NewLayer([]byte("{}"), types.OCIEmptyJSON)
	for _, l := range []v1.Layer{config, layer} {
		if err := remote.WriteLayer(r.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		ArtifactType: registry.InputsArtifactType, Config: descriptor(t, config), Layers: []v1.Descriptor{descriptor(t, layer)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r, rawManifest(raw)); err != nil {
		t.Fatal(err)
	}
}

type rawManifest []byte

func (r rawManifest) RawManifest() ([]byte, error)        { return r, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func descriptor(t *testing.T, l v1.Layer) v1.Descriptor {
	t.Helper()
	d, err := l.Digest()
	if err != nil {
		t.Fatal(err)
	}
	size, _ := l.Size()
	mt, _ := l.MediaType()
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d}
}

// FetchFirstInputs asks one manifest per tag until one is there, then its blob, and stops at
// the first answer saying the repository does not exist; a registry failing is an error, never
// "nothing stored".
func TestFetchFirstInputsRequests(t *testing.T) {
	f, host := serve(t)
	ctx := context.Background()
	if err := client().StoreInputs(ctx, inputsDoc("api"), host+"/api:c2.inputs", host+"/api:c1.inputs"); err != nil {
		t.Fatal(err)
	}
	f.reset()
	if tag, _, err := client().FetchFirstInputs(ctx, host+"/api", []string{"c3.inputs", "c2.inputs", "c1.inputs"}); err != nil || tag != "c2.inputs" {
		t.Fatalf("FetchFirstInputs = %q, %v", tag, err)
	}
	if lists, gets, blobs := f.count("", "/tags/list"), f.count("GET", "/manifests/"), f.count("GET", "/blobs/"); lists != 0 || gets != 2 || blobs != 1 {
		t.Errorf("requests: %d listings, %d manifest and %d blob reads; want none, 2 (c3, c2) and 1:\n%s", lists, gets, blobs, f.log())
	}
	f.reset()
	if tag, _, err := client().FetchFirstInputs(ctx, host+"/never-pushed", []string{"c3.inputs", "c2.inputs", "c1.inputs"}); err != nil || tag != "" {
		t.Fatalf("FetchFirstInputs in a repository the registry lacks = %q, %v", tag, err)
	}
	if gets := f.count("GET", "/manifests/"); gets != 1 {
		t.Errorf("a repository the registry lacks: %d manifest reads, want 1:\n%s", gets, f.log())
	}
	f.inject(fault{method: "GET", path: "/manifests/c3.inputs", status: 500})
	_, _, err := client(registry.WithRetries(0, 0)).FetchFirstInputs(ctx, host+"/api", []string{"c3.inputs", "c2.inputs"})
	if err == nil || errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), host+"/api:c3.inputs") {
		t.Errorf("FetchFirstInputs with the registry failing: %v; want an error naming the tag", err)
	}
	if err := client().StoreInputs(ctx, nil, host+"/api:x.inputs", host+"/other:x.inputs"); err == nil || !strings.Contains(err.Error(), "not in the repository") {
		t.Errorf("StoreInputs across repositories: %v", err)
	}
}
