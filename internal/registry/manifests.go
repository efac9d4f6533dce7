package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
)

// The inputs manifest of a pushed image (what internal/inputs records: its files with their
// hashes, build args, bases, the images it builds on) is stored next to it as an OCI artifact:
// an image manifest of artifactType InputsArtifactType whose config is the OCI empty
// descriptor and whose one layer is the manifest's JSON compressed with zstd. Registries
// without OCI 1.1 support (Debian's docker-registry 2.8) store it like any manifest.
const (
	InputsArtifactType = "application/vnd.imagemake.inputs.v1+json"
	InputsLayerType    = "application/vnd.imagemake.inputs.v1.json+zstd"
)

// maxInputsDoc bounds what FetchInputs decompresses: a manifest of a million files.
const maxInputsDoc = 256 << 20

// ErrNotInputs is wrapped by errors about an artifact that is no inputs manifest imagemake
// can read: another kind of manifest under the tag, or a blob that does not decompress.
var ErrNotInputs = errors.New("not an imagemake inputs manifest")

// emptyConfig is the OCI empty descriptor's content, the config of an artifact.
var emptyConfig = []byte("{}")

// StoreInputs stores doc, an image's inputs manifest as JSON, as an artifact tagged with each
// of refs, which must be tags of one repository. Blobs the repository holds already are not
// sent again.
func (c *Client) StoreInputs(ctx context.Context, doc []byte, refs ...string) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	if len(refs) == 0 {
		return nil
	}
	tags, err := c.sameRepoTags(refs)
	if err != nil {
		return err
	}
	raw, layers, err := inputsArtifact(doc)
	if err != nil {
		return fmt.Errorf("storing the inputs manifest as %s: %w", refs[0], err)
	}
	for _, l := range layers {
		if err := c.pusher.Upload(ctx, tags[0].Context(), l); err != nil {
			return describe("storing the inputs manifest as", refs[0], tags[0], err)
		}
	}
	for i, t := range tags {
		if err := c.pusher.Put(ctx, t, raw); err != nil {
			return describe("storing the inputs manifest as", refs[i], t, err)
		}
	}
	return nil
}

// sameRepoTags parses refs: tags, all in the repository of the first.
func (c *Client) sameRepoTags(refs []string) ([]name.Tag, error) {
	tags := make([]name.Tag, len(refs))
	for i, ref := range refs {
		r, err := c.parse(ref)
		if err != nil {
			return nil, err
		}
		t, ok := r.(name.Tag)
		if !ok {
			return nil, fmt.Errorf("storing the inputs manifest as %s: not a tag", ref)
		}
		if i > 0 && t.Context() != tags[0].Context() {
			return nil, fmt.Errorf("storing the inputs manifest as %s: not in the repository of %s", ref, refs[0])
		}
		tags[i] = t
	}
	return tags, nil
}

// rawArtifact is an artifact's manifest as Pusher.Put takes it.
type rawArtifact struct{ raw []byte }

func (r rawArtifact) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawArtifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// inputsArtifact is the manifest of doc's artifact and its blobs: the empty config, the layer.
func inputsArtifact(doc []byte) (rawArtifact, []v1.Layer, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return rawArtifact{}, nil, err
	}
	layer := static.NewLayer(enc.EncodeAll(doc, nil), InputsLayerType)
	config := static.NewLayer(emptyConfig, types.OCIEmptyJSON)
	layerDesc, err := partial.Descriptor(layer)
	if err != nil {
		return rawArtifact{}, nil, err
	}
	configDesc, err := partial.Descriptor(config)
	if err != nil {
		return rawArtifact{}, nil, err
	}
	raw, err := json.Marshal(v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: InputsArtifactType,
		Config: *configDesc, Layers: []v1.Descriptor{*layerDesc},
	})
	return rawArtifact{raw}, []v1.Layer{config, layer}, err
}

// FetchInputs returns the inputs manifest stored as ref (see StoreInputs), as JSON. An absent
// ref is an error wrapping ErrNotFound; an artifact of another kind, or whose blob does not
// decompress, one wrapping ErrNotInputs.
func (c *Client) FetchInputs(ctx context.Context, ref string) ([]byte, error) {
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	r, err := c.parse(ref)
	if err != nil {
		return nil, err
	}
	desc, err := c.puller.Get(ctx, r)
	if err != nil {
		return nil, describe("reading the inputs manifest", ref, r, err)
	}
	layer, err := inputsLayer(desc.Manifest)
	if err != nil {
		return nil, fmt.Errorf("reading the inputs manifest %s: %w", ref, err)
	}
	blob, err := c.puller.Layer(ctx, r.Context().Digest(layer.Digest.String()))
	if err != nil {
		return nil, describe("reading the inputs manifest", ref, r, err)
	}
	doc, err := readInputsBlob(blob)
	if err != nil {
		return nil, fmt.Errorf("reading the inputs manifest %s: %w", ref, err)
	}
	return doc, nil
}

// inputsLayer is the layer of an inputs artifact's manifest.
func inputsLayer(raw []byte) (v1.Descriptor, error) {
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return v1.Descriptor{}, fmt.Errorf("%w: %w", ErrNotInputs, err)
	}
	if m.ArtifactType != InputsArtifactType || len(m.Layers) != 1 || m.Layers[0].MediaType != InputsLayerType {
		return v1.Descriptor{}, fmt.Errorf("%w: artifactType %q", ErrNotInputs, m.ArtifactType)
	}
	if m.Layers[0].Size > maxInputsDoc {
		return v1.Descriptor{}, fmt.Errorf("%w: a blob of %d bytes", ErrNotInputs, m.Layers[0].Size)
	}
	return m.Layers[0], nil
}

// readInputsBlob reads and decompresses the layer; go-containerregistry checks its digest.
func readInputsBlob(blob v1.Layer) ([]byte, error) {
	rc, err := blob.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec, err := zstd.NewReader(rc, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxInputsDoc))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotInputs, err)
	}
	defer dec.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(dec, maxInputsDoc+1)); err != nil {
		if isRegistryError(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrNotInputs, err)
	}
	if buf.Len() > maxInputsDoc {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrNotInputs, maxInputsDoc)
	}
	return buf.Bytes(), nil
}

// FetchFirstInputs reads the inputs manifest of the first of tags that repo holds, trying
// them in order: one manifest request per tag until one is there, then its blob. It returns
// that tag and its JSON; "" and nil when repo holds none of them, or when the registry has no
// such repository (it stops at the first answer saying so). Not a tag listing: a repository
// of a long history holds thousands of tags, which registries list a page at a time.
func (c *Client) FetchFirstInputs(ctx context.Context, repo string, tags []string) (string, []byte, error) {
	for _, t := range tags {
		doc, err := c.FetchInputs(ctx, repo+":"+t)
		switch {
		case err == nil:
			return t, doc, nil
		case isUnknownRepo(err):
			return "", nil, nil
		case !errors.Is(err, ErrNotFound):
			return "", nil, err
		}
	}
	return "", nil, nil
}

// isUnknownRepo is the registry saying the repository does not exist (NAME_UNKNOWN).
func isUnknownRepo(err error) bool {
	var terr *transport.Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &terr) {
		return false
	}
	for _, d := range terr.Errors {
		if d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}
