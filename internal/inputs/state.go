package inputs

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// State keeps the manifests of the inputs seen per image, so that a later run can say what
// changed since the engine's image was built, or since the image was last seen:
//
//	.imagemake/manifests/<image>/<hex>.json.gz   a Manifest as gzipped JSON, hex = its digest's
//	.imagemake/manifests/<image>/last            "sha256:<hex>\n": the digest last seen
//
// <image> is the image's name, path-escaped. At most MaxManifests manifests are kept per
// image, the least recently recorded going first (the last seen one always stays). Every file
// is written atomically. Record is safe for concurrent use on different images.
type State struct {
	dir string

	mu       sync.Mutex
	damaged  map[string]bool // state files found damaged: ignored, and rewritten when recorded
	warnings []string
	kept     map[string]*Manifest // with Keep: the last manifest recorded or loaded per image
}

// MaxManifests is how many manifests State keeps per image.
const MaxManifests = 5

// OpenState returns the state of the project at root; nothing is read or written yet.
func OpenState(root string) *State {
	return &State{dir: filepath.Join(root, StateDir, "manifests")}
}

func (s *State) imageDir(image string) string {
	name := url.PathEscape(image)
	if name == "" || name == "." || name == ".." {
		name = "_" + name
	}
	return filepath.Join(s.dir, name)
}

func (s *State) file(image, digest string) string {
	return filepath.Join(s.imageDir(image), strings.TrimPrefix(digest, "sha256:")+".json.gz")
}

// Load returns the recorded manifest of image with that digest; nil and no error when there
// is none, or when the file is damaged (state is a convenience, never a reason to fail): a
// folder in its place, unreadable, not what it should hold. A damaged file draws a warning
// (Warnings) and is rewritten when the manifest is recorded again.
func (s *State) Load(image, digest string) (*Manifest, error) {
	if !validDigest(digest) {
		return nil, nil
	}
	if m := s.keptManifest(image, digest); m != nil {
		return m, nil
	}
	file := s.file(image, digest)
	data, ok := s.read(file)
	if !ok {
		return nil, nil
	}
	m, err := decodeManifest(data)
	switch {
	case err != nil:
		s.damage(file, err)
		return nil, nil
	case m.Digest != digest:
		s.damage(file, fmt.Errorf("it holds the inputs %s", m.Digest))
		return nil, nil
	}
	s.keep(m)
	return m, nil
}

// LastSeen returns the manifest last recorded as seen for image, nil when there is none.
func (s *State) LastSeen(image string) (*Manifest, error) {
	return s.Load(image, s.lastSeen(image))
}

// Record stores m; seen also makes it the image's last seen manifest. Recording a manifest
// already stored only marks it recently used, so that a no-op run writes next to nothing.
func (s *State) Record(m *Manifest, seen bool) error {
	if !validDigest(m.Digest) {
		return fmt.Errorf("recording inputs of %q: bad digest %q", m.Image, m.Digest)
	}
	added, err := s.store(m)
	s.keep(m)
	if last := filepath.Join(s.imageDir(m.Image), "last"); err == nil && seen && (s.lastSeen(m.Image) != m.Digest || s.isDamaged(last)) {
		err = s.write(last, []byte(m.Digest+"\n"))
	}
	if err == nil && added {
		err = s.prune(m.Image, m.Digest)
	}
	if err != nil {
		return fmt.Errorf("recording inputs of %q: %w", m.Image, err)
	}
	return nil
}

// LastSeenDigest returns the digest last seen for image without reading its manifest; "" when
// there is none.
func (s *State) LastSeenDigest(image string) string { return s.lastSeen(image) }

// lastSeen returns the digest recorded as last seen for image, "" when there is none.
func (s *State) lastSeen(image string) string {
	file := filepath.Join(s.imageDir(image), "last")
	data, ok := s.read(file)
	if !ok {
		return ""
	}
	d := strings.TrimSpace(string(data))
	if !validDigest(d) {
		s.damage(file, errors.New("it holds no digest"))
		return ""
	}
	return d
}

// store writes m unless it is there already (and sound), which it then marks recently used.
func (s *State) store(m *Manifest) (added bool, err error) {
	file := s.file(m.Image, m.Digest)
	now := time.Now()
	if !s.isDamaged(file) {
		if fi, err := os.Lstat(file); err == nil && fi.Mode().IsRegular() && os.Chtimes(file, now, now) == nil {
			return false, nil
		}
	}
	data, err := encodeManifest(m)
	if err != nil {
		return false, err
	}
	return true, s.write(file, data)
}

// write replaces a state file (see writeStateFile), which is sound from then on.
func (s *State) write(file string, data []byte) error {
	if err := writeStateFile(filepath.Dir(s.dir), file, data); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.damaged, file)
	s.mu.Unlock()
	return nil
}

// read reads a state file; false when it is not there or damaged (see damage).
func (s *State) read(file string) ([]byte, bool) {
	data, err := readStateFile(filepath.Dir(s.dir), file)
	var d *damagedError
	switch {
	case errors.As(err, &d):
		s.damage(d.file, d.err)
		return nil, false
	case err != nil:
		return nil, false
	}
	return data, true
}

// damage notes a damaged state file, with a warning the first time.
func (s *State) damage(file string, why error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.damaged[file] {
		return
	}
	if s.damaged == nil {
		s.damaged = map[string]bool{}
	}
	s.damaged[file] = true
	s.warnings = append(s.warnings, damageWarning(filepath.Dir(filepath.Dir(s.dir)), file, why))
}

func (s *State) isDamaged(file string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.damaged[file]
}

// Warnings are one line per damaged state file found so far (see damageWarning).
func (s *State) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.warnings)
}

// prune keeps the MaxManifests most recently recorded manifests of image, the just recorded
// and the last seen ones always.
func (s *State) prune(image, recorded string) error {
	dir := s.imageDir(image)
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	type rec struct {
		name string
		t    time.Time
	}
	var recs []rec
	for _, de := range des {
		if fi, err := de.Info(); err == nil && strings.HasSuffix(de.Name(), ".json.gz") {
			recs = append(recs, rec{de.Name(), fi.ModTime()})
		}
	}
	slices.SortFunc(recs, func(a, b rec) int { return b.t.Compare(a.t) })
	keep := map[string]bool{
		filepath.Base(s.file(image, recorded)):          true,
		filepath.Base(s.file(image, s.lastSeen(image))): true,
	}
	for i, r := range recs {
		if i >= MaxManifests && !keep[r.name] {
			if err := os.RemoveAll(filepath.Join(dir, r.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

func validDigest(d string) bool {
	hex := strings.TrimPrefix(d, "sha256:")
	return len(hex) == 64 && strings.Trim(hex, "0123456789abcdef") == ""
}

func encodeManifest(m *Manifest) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(m); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeManifest(data []byte) (*Manifest, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		return nil, err
	}
	return &m, nil
}
