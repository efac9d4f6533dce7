package inputs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/imagemake/imagemake/internal/config"
)

// ManifestVersion is the version of the digest's encoding; changing the encoding changes it,
// so that digests of different encodings never compare equal. Version 2 added the base lines
// and left out of the digest the build args no stage declares.
const ManifestVersion = 2

// Label is the image label that carries an image's inputs digest: every image imagemake builds
// has it, and an image is up to date where it holds the current digest.
const Label = "imagemake.inputs"

// Manifest is everything an image's inputs digest covers, kept so that a later run can tell
// what changed (Explain).
type Manifest struct {
	Version    int               `json:"version"`
	Image      string            `json:"image"`
	Digest     string            `json:"digest"`     // "sha256:" + 64 hex digits
	Dockerfile string            `json:"dockerfile"` // path inside the context
	Args       map[string]string `json:"args,omitempty"`
	Target     string            `json:"target,omitempty"`
	Platform   string            `json:"platform,omitempty"`
	Network    string            `json:"network,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Contexts   map[string]string `json:"contexts,omitempty"` // named context -> "dir sha256:…", "image NAME" or "url URL"
	Upstream   map[string]string `json:"upstream,omitempty"` // project image built on -> its inputs digest
	// Bases are the images the stages built start FROM that are no project image, as
	// written after ARG expansion (with " --platform=P" when FROM names one), sorted.
	Bases []string `json:"bases,omitempty"`
	// Secrets are the ids of the build's BuildKit secrets. Their content is left out: it
	// would be in plain text here, and a digest of a short secret, published in a label,
	// can be reversed by trying candidates.
	Secrets []string `json:"secrets,omitempty"`
	// ExtraArgs are build args passed to the build but left out of the digest (see
	// Build.ExtraArgs).
	ExtraArgs map[string]string `json:"extra_args,omitempty"`

	// files are the entries and their values (see Scanner.Manifest), made on first need
	// (Files) from lazy when the manifest comes from Scanner: a no-op run needs the digest
	// only, and the entries of a shared folder would otherwise be listed again per image.
	files Files
	lazy  *lazyFiles
}

// lazyFiles makes a manifest's files once.
type lazyFiles struct {
	once  sync.Once
	make  func() Files
	files Files
}

// Files returns the entries of the manifest and their values, in path order.
func (m *Manifest) Files() Files {
	if m.lazy != nil {
		m.lazy.once.Do(func() { m.lazy.files, m.lazy.make = m.lazy.make(), nil })
		return m.lazy.files
	}
	return m.files
}

// manifestJSON is Manifest as JSON: its fields and its files.
type manifestJSON struct {
	manifestFields
	Files Files `json:"files"`
}

// manifestFields has the fields of Manifest but not its methods.
type manifestFields Manifest

// MarshalJSON writes the manifest with its files (a value receiver: a Manifest held by value
// is written with its files too).
func (m Manifest) MarshalJSON() ([]byte, error) {
	return json.Marshal(manifestJSON{manifestFields(m), m.Files()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Manifest) UnmarshalJSON(data []byte) error {
	var j manifestJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*m = Manifest(j.manifestFields)
	m.files = j.Files
	return nil
}

// Build is what an image's digest covers besides its files and its config's settings: what
// the project and its Dockerfile resolve to.
type Build struct {
	// Upstream maps each project image the image builds on (FROM, COPY --from, named
	// contexts, depends_on) to its inputs digest.
	Upstream map[string]string
	// Args are the build args that can change what the build makes: those a stage it builds
	// declares with ARG, and those BuildKit reads itself.
	Args map[string]string
	// ExtraArgs are the other build args, passed to the build but left out of the digest: an
	// arg declared only before the first FROM only shapes FROM lines, whose results Upstream
	// and Bases cover, and DOCKER_TAG changes with every commit in CI.
	ExtraArgs map[string]string
	// Bases are the resolved FROM lines that name no project image (see Manifest.Bases).
	Bases []string
}

// BuildArgs are the args the build gets: ExtraArgs, then Args over them.
func (m *Manifest) BuildArgs() map[string]string {
	out := maps.Clone(m.ExtraArgs)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, m.Args)
	return out
}

// Manifest hashes the regular files of entries (the result of Context for img) and returns
// the manifest and digest of img's inputs, b being what they resolve to.
//
// Each entry's value in Files, the same text the digest covers:
//
//	f 0644 1234 <sha256 hex>   regular file: mode, size, content hash
//	d 0755                     directory
//	l 0777 "target"            symlink, target quoted as Go's strconv.Quote does
//
// Modes are octal, with 4000 setuid, 2000 setgid and 1000 sticky. Owners, times and inodes
// are left out: the same tree checked out elsewhere has the same digest.
func (s *Scanner) Manifest(img *config.Image, entries []Entry, b Build) (*Manifest, error) {
	if !inPathOrder(entries) {
		entries = slices.Clone(entries)
		slices.SortFunc(entries, byName)
	}
	return s.manifest(img, ownList(entries), b)
}

// Inputs returns the context of img (see Context) and its manifest (see Manifest). It costs
// less than the two: the values and fingerprint of a shared folder's entries are made once
// for every image holding it, and the context and the manifest's files are listed on first
// need.
func (s *Scanner) Inputs(img *config.Image, b Build) (*EntryList, *Manifest, error) {
	l, err := s.context(img)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.manifest(img, l, b)
	if err != nil {
		return nil, nil, err
	}
	return l, m, nil
}

func (s *Scanner) manifest(img *config.Image, c *EntryList, b Build) (_ *Manifest, err error) {
	defer asInputError(&err)
	df, err := s.dockerfileOf(img)
	if err != nil {
		return nil, err
	}
	v, err := s.valuesOf(c)
	if err != nil {
		return nil, err
	}
	m := newManifest(img, df.name, b)
	m.lazy = &lazyFiles{make: func() Files { return c.files(v) }}
	if m.Contexts, err = s.namedContexts(img); err != nil {
		return nil, err
	}
	// The fingerprint covers what the digest covers: the same fingerprint, the same digest.
	fp := partsFingerprint(m, c, v)
	if sum, ok := s.digests.lookup(img.Name, fp); ok {
		m.Digest = "sha256:" + hex.EncodeToString(sum[:])
		return m, nil
	}
	m.Digest = m.ComputeDigest()
	var sum [32]byte
	if _, err := hex.Decode(sum[:], []byte(strings.TrimPrefix(m.Digest, "sha256:"))); err == nil {
		s.digests.add(img.Name, fp, sum)
	}
	return m, nil
}

// platformOf is the platform the digest covers: img's platform, or its platform list in its
// order (the order of the image index), comma-separated as --platform takes it.
func platformOf(img *config.Image) string {
	if len(img.Platforms) > 0 {
		return strings.Join(img.Platforms, ",")
	}
	return img.Platform
}

// newManifest is img's manifest without its files, named contexts and digest.
func newManifest(img *config.Image, df string, b Build) *Manifest {
	m := &Manifest{
		Version: ManifestVersion, Image: img.Name, Dockerfile: df,
		Args: maps.Clone(b.Args), Target: img.Target, Platform: platformOf(img), Network: img.Network,
		Labels: maps.Clone(img.Labels), Upstream: maps.Clone(b.Upstream), ExtraArgs: maps.Clone(b.ExtraArgs),
	}
	if len(b.Bases) > 0 {
		m.Bases = slices.Compact(slices.Sorted(slices.Values(b.Bases)))
	}
	for _, sec := range img.Secrets {
		m.Secrets = append(m.Secrets, sec.ID)
	}
	slices.Sort(m.Secrets)
	return m
}

// namedContexts describes img's BuildKit named contexts: a folder by the digest of its files,
// a project image by its name (its digest is in Upstream), anything else by its text.
func (s *Scanner) namedContexts(img *config.Image) (map[string]string, error) {
	if len(img.Contexts) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for name, v := range img.Contexts {
		switch {
		case strings.HasPrefix(v, "image:"):
			out[name] = "image " + strings.TrimPrefix(v, "image:")
		case !isFolderContext(v):
			out[name] = "url " + v
		default:
			entries, err := s.NamedContext(img, name)
			if err != nil {
				return nil, err
			}
			values, err := s.values(entries)
			if err != nil {
				return nil, fmt.Errorf("named context %q: %w", name, err)
			}
			d := digester{h: sha256.New()}
			for i, e := range entries {
				d.entry(e.Name, values[i])
			}
			out[name] = "dir " + d.sum()
		}
	}
	return out, nil
}

// ComputeDigest returns the digest of the manifest's content: "sha256:" and the hex sha256
// of this encoding, where S(x) is x's length in bytes in decimal, ":", then x; Files is
// written in path order (ComparePaths), every map in the byte order of its keys; and each
// line ends with "\n":
//
//	imagemake-inputs S(Version)  Version in decimal: "imagemake-inputs 1:2"
//	dockerfile S(Dockerfile)
//	entry S(name) S(value)      for each of Files (value as documented on Scanner.Manifest)
//	arg S(name) S(value)        for each of Args
//	target S(Target)
//	platform S(Platform)
//	network S(Network)
//	label S(name) S(value)      for each of Labels
//	context S(name) S(value)    for each of Contexts
//	upstream S(image) S(digest) for each of Upstream
//	base S(ref)                 for each of Bases, in byte order
//	secret S(id)                for each of Secrets, in byte order (none: no line)
//
// ExtraArgs, Image and Digest are not part of it.
func (m *Manifest) ComputeDigest() string {
	d := digester{h: sha256.New(), buf: getDigestBuf()}
	defer d.release()
	d.head(m)
	files := m.Files()
	if !slices.IsSortedFunc(files, func(a, b File) int { return ComparePaths(a.Name, b.Name) }) {
		files = slices.Clone(files)
		slices.SortStableFunc(files, func(a, b File) int { return ComparePaths(a.Name, b.Name) })
	}
	for _, f := range files {
		d.entry(f.Name, f.Value)
	}
	d.tail(m)
	return d.sum()
}

type digester struct {
	h   hash.Hash
	buf []byte
}

func (d *digester) head(m *Manifest) {
	d.line("imagemake-inputs", strconv.Itoa(m.Version))
	d.line("dockerfile", m.Dockerfile)
}

func (d *digester) tail(m *Manifest) {
	d.pairs("arg", m.Args)
	d.line("target", m.Target)
	d.line("platform", m.Platform)
	d.line("network", m.Network)
	d.pairs("label", m.Labels)
	d.pairs("context", m.Contexts)
	d.pairs("upstream", m.Upstream)
	for _, ref := range m.Bases {
		d.line("base", ref)
	}
	for _, id := range m.Secrets {
		d.line("secret", id)
	}
}

// digestBufs keeps the digesters' buffers: a run digests each image, a fingerprint first.
var digestBufs = sync.Pool{New: func() any { b := make([]byte, 0, digestFlush+4<<10); return &b }}

func getDigestBuf() []byte { return (*digestBufs.Get().(*[]byte))[:0] }

// release gives the buffer back once the digester is done with it.
func (d *digester) release() {
	b := d.buf[:0]
	d.buf = nil
	if cap(b) <= 2*(digestFlush+4<<10) {
		digestBufs.Put(&b)
	}
}

// digestFlush is how many bytes the digester gathers before handing them to the hash: one
// Write per line costs more than the hashing of a short line.
const digestFlush = 32 << 10

func (d *digester) sum() string {
	d.flush()
	return "sha256:" + hex.EncodeToString(d.h.Sum(nil))
}

func (d *digester) flush() {
	if len(d.buf) > 0 {
		d.h.Write(d.buf)
		d.buf = d.buf[:0]
	}
}

func (d *digester) line(key string, values ...string) {
	b := append(d.buf, key...)
	for _, v := range values {
		b = appendSized(b, v)
	}
	d.buf = append(b, '\n')
	if len(d.buf) >= digestFlush {
		d.flush()
	}
}

// entry is line("entry", name, value), without the slice of values.
func (d *digester) entry(name, value string) {
	b := append(d.buf, "entry"...)
	b = appendSized(b, name)
	d.buf = append(appendSized(b, value), '\n')
	if len(d.buf) >= digestFlush {
		d.flush()
	}
}

// appendSized appends " S(v)": v's length in decimal, ":", then v.
func appendSized(b []byte, v string) []byte {
	b = strconv.AppendInt(append(b, ' '), int64(len(v)), 10)
	return append(append(b, ':'), v...)
}

func (d *digester) pairs(key string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		d.line(key, k, m[k])
	}
}

// inPathOrder tells whether entries are in path order (ComparePaths), as Context returns them.
func inPathOrder(entries []Entry) bool {
	for i := 1; i < len(entries); i++ {
		if ComparePaths(entries[i-1].Name, entries[i].Name) > 0 {
			return false
		}
	}
	return true
}
