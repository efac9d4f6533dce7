// Package plan decides, for each image, whether it is up to date and why not: it computes the
// inputs of every image in dependency order and compares them with what the engine holds.
package plan

import (
	"fmt"
	"path"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/project"
)

// Status is what the plan says of an image, as `plan` prints it.
type Status string

// Statuses of a planned image.
const (
	UpToDate Status = "up-to-date"
	Stale    Status = "stale"
	Unknown  Status = "unknown" // the engine could not be asked
	// InRegistry: the engine lacks the image, the registry holds it with its current inputs
	// (run.Run.FindInRegistry says so): a run reuses it, imagemake pull fetches it.
	InRegistry Status = "in-registry"
)

// EngineImage is an image the engine holds under a ref; Inputs is its imagemake.inputs label,
// "" when it has none (an image imagemake did not build).
type EngineImage struct {
	ID     string
	Inputs string
}

// Options say what to plan against.
type Options struct {
	Names []string // images to plan; their dependencies are planned too
	// Engine returns what the engine holds: normalised ref -> image, nil when the engine is
	// unknown. It is called once, after the inputs are computed, so the two can overlap.
	Engine  func() map[string]EngineImage
	Rebuild bool // -B: every planned image is stale
	// Pull, when set, resolves every external base to its registry digest (--pull), which
	// then counts in the inputs digest. Without it a base counts as written, or as the digest
	// the engine's image was built from when that was recorded pinned (see repin).
	Pull Puller
}

// Image is the plan of one image.
type Image struct {
	Name     string
	Config   *config.Image
	Context  *inputs.EntryList // its build context, listed on first need
	Manifest *inputs.Manifest
	Status   Status
	Reason   string
	// SameAs is the ID of an engine image with the same inputs, when the image is stale only
	// because some of its refs are missing: tagging it is enough.
	SameAs string
	// Requested is false for images planned only because a requested image depends on them.
	Requested bool
}

// Compute plans the requested images and their dependencies, in dependency order.
func Compute(m *project.Model, sc *inputs.Scanner, st *inputs.State, opt Options) ([]*Image, error) {
	requested := map[string]bool{}
	for _, n := range opt.Names {
		requested[n] = true
	}
	digests := map[string]string{}
	owners := refOwners(m)
	closure := m.Graph.Closure(opt.Names)
	builds := make(map[string]inputs.Build, len(closure))
	for _, name := range closure {
		builds[name] = resolved(m, name, owners)
	}
	if opt.Pull != nil {
		if err := pinBases(m, closure, builds, opt.Pull); err != nil {
			return nil, err
		}
	}
	var out []*Image
	for _, name := range closure {
		pi := &Image{Name: name, Config: m.Image(name), Requested: requested[name]}
		if err := computeInputs(m, sc, pi, builds[name], digests); err != nil {
			return nil, err
		}
		out = append(out, pi)
	}
	var engine map[string]EngineImage
	if opt.Engine != nil {
		engine = opt.Engine()
	}
	byDigest := indexByDigest(engine)
	for _, pi := range out {
		if err := decide(st, pi, engine, opt, byDigest, digests); err != nil {
			return nil, err
		}
		digests[pi.Name] = pi.Manifest.Digest
	}
	return out, nil
}

func computeInputs(m *project.Model, sc *inputs.Scanner, pi *Image, b inputs.Build, digests map[string]string) error {
	b.Upstream = map[string]string{}
	for _, d := range m.Graph.DepNames(pi.Name) {
		b.Upstream[d] = digests[d]
	}
	entries, man, err := sc.Inputs(pi.Config, b)
	if err != nil {
		return fmt.Errorf("image %q: %w", pi.Name, err)
	}
	pi.Context, pi.Manifest = entries, man
	digests[pi.Name] = man.Digest
	return nil
}

func indexByDigest(engine map[string]EngineImage) map[string]EngineImage {
	out := map[string]EngineImage{}
	for _, e := range engine {
		out[e.Inputs] = e
	}
	return out
}

// decide sets pi's status and reason. Without --pull, pi's bases are first taken as the
// manifest of the engine's image recorded them (repin), and the images it builds on as they
// were decided (digests).
func decide(st *inputs.State, pi *Image, engine map[string]EngineImage, opt Options, byDigest map[string]EngineImage, digests map[string]string) error {
	repinning := opt.Pull == nil
	if repinning {
		pi.Manifest = repin(pi.Manifest, nil, digests)
	}
	if engine == nil {
		pi.Status = Unknown
		return sinceLastSeen(st, pi, repinning, digests)
	}
	pi.Status = Stale
	main, found := engine[normalize(pi.Config.Ref)]
	var old *inputs.Manifest // the manifest of the engine's image, when it has other inputs
	if found && main.Inputs != pi.Manifest.Digest {
		var err error
		if old, err = st.Load(pi.Name, main.Inputs); err != nil {
			return err
		}
		if repinning {
			pi.Manifest = repin(pi.Manifest, old, digests)
		}
	}
	digest := pi.Manifest.Digest
	switch {
	case opt.Rebuild:
		pi.Reason = "rebuild requested (-B)"
	case found && main.Inputs == digest:
		if why := refsReason(pi, engine); why != "" {
			pi.Reason, pi.SameAs = why, main.ID
			return nil
		}
		pi.Status, pi.Reason = UpToDate, "inputs unchanged"
	case found && main.Inputs == "":
		pi.Reason = refReason(pi.Config.Ref, main, true, digest)
		if same, ok := byDigest[digest]; ok {
			pi.Reason, pi.SameAs = pi.Reason+"; same inputs built as "+short(same.ID), same.ID
		}
	case found:
		changedSince(pi, old, main.Inputs)
	default:
		if same, ok := byDigest[digest]; ok {
			pi.Reason, pi.SameAs = "ref "+pi.Config.Ref+" missing from engine; same inputs built as "+short(same.ID), same.ID
			return nil
		}
		return missing(st, pi)
	}
	return nil
}

// changedSince says what changed since old, the recorded manifest of the engine's image
// (nil: not recorded here).
func changedSince(pi *Image, old *inputs.Manifest, engineDigest string) {
	if old == nil {
		pi.Reason = "inputs changed since the engine's image was built (" + short(engineDigest) + ", built elsewhere)"
		return
	}
	pi.Reason = inputs.Summary(inputs.ExplainAt(old, pi.Manifest, SourcePath(pi.Config)))
}

func missing(st *inputs.State, pi *Image) error {
	seen, err := st.LastSeen(pi.Name)
	if err != nil {
		return err
	}
	pi.Reason = "never built"
	if seen != nil {
		pi.Reason = "image missing from engine"
	}
	return nil
}

func sinceLastSeen(st *inputs.State, pi *Image, repinning bool, digests map[string]string) error {
	if st.LastSeenDigest(pi.Name) == pi.Manifest.Digest {
		pi.Reason = "inputs unchanged since the last plan or build" // without reading the recorded manifest
		return nil
	}
	seen, err := st.LastSeen(pi.Name)
	if err == nil && seen != nil && repinning {
		pi.Manifest = repin(pi.Manifest, seen, digests)
	}
	switch {
	case err != nil:
		return err
	case seen == nil:
		pi.Reason = "never seen before"
	case seen.Digest == pi.Manifest.Digest:
		pi.Reason = "inputs unchanged since the last plan or build"
	default:
		pi.Reason = inputs.Summary(inputs.ExplainAt(seen, pi.Manifest, SourcePath(pi.Config)))
	}
	return nil
}

// SourcePath maps a path inside the image's build context to the project path it comes from:
// an include's files to their folder (conf/nginx/x.conf for etc/nginx/x.conf with
// {from: conf/nginx, to: etc/nginx}), everything else to the context folder.
func SourcePath(img *config.Image) func(name string) string {
	return func(name string) string {
		for i := len(img.Include) - 1; i >= 0; i-- {
			inc := img.Include[i]
			if inc.To == "." {
				return path.Join(inc.From, name)
			}
			if rest, ok := strings.CutPrefix(name, inc.To); ok && (rest == "" || rest[0] == '/') {
				return inc.From + rest
			}
		}
		return path.Join(img.Context, name)
	}
}

func normalize(ref string) string {
	if n, err := dockerfile.Normalize(ref); err == nil {
		return n
	}
	return ref
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
