package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/schedule"
)

// Reasons that travel: each pushed image's inputs manifest is stored next to it in the
// registry, tagged {cache.repo or repo}/NAME:in-<16 hex>.inputs (its inputs tag's) and
// NAME:<commit>.inputs (the commit pushed from, HEAD's short hash). A machine with no record
// of an image names what changed against the manifest of the nearest commit of its history
// that has one, tried nearest first as the cache sources are (a manifest request each, then
// one blob), none for an image up to date, tagged or reused.

// inputsSuffix ends the tags of stored inputs manifests.
const inputsSuffix = ".inputs"

// reasonLookups bounds the images whose stored manifest is read at once.
const reasonLookups = 8

// inputsStore is what reasons ask of the registry (registry.Client has it).
type inputsStore interface {
	StoreInputs(ctx context.Context, doc []byte, refs ...string) error
	FetchFirstInputs(ctx context.Context, repo string, tags []string) (string, []byte, error)
}

var _ inputsStore = (*registry.Client)(nil)

// Since is the inputs manifest of an image as pushed at Commit, read from the registry.
type Since struct {
	Commit   string
	Manifest *inputs.Manifest
}

// ReasonsFromRegistry words the reason of each planned image that is not up to date and of
// which this machine has no record (never built here, such as in a fresh CI clone) against the
// inputs of the image pushed at the nearest of the last first-parent commits that stored some:
// "file changed: src/luamods/http.lua (since a1b2c3d4e5f6)". It opens the registry when the
// project names one. A registry error goes to warn and leaves the reason as it was; so does no
// commit with stored inputs. It returns what it found, by image name.
func (s *Run) ReasonsFromRegistry(ctx context.Context, warn func(string)) map[string]Since {
	want := s.unexplained(nil)
	if len(want) == 0 {
		return nil
	}
	if s.reg == nil {
		s.OpenRegistry(ctx, false)
	}
	return s.explainFromRegistry(ctx, want, warn)
}

// travelReasons is ReasonsFromRegistry for a build, once the registry was asked: images it
// tags or reuses are left alone, and so is every image with -B. Warnings come out with the
// run's first lines.
func (s *Run) travelReasons(ctx context.Context, o Options) {
	if o.Rebuild {
		return
	}
	s.explainFromRegistry(ctx, s.unexplained(s.inRegistry), func(w string) {
		if s.bk != nil {
			s.bk.pending = append(s.bk.pending, w)
		}
	})
}

// unexplained are the images stale or unknown (not up to date, nor held in the registry),
// neither to be tagged nor reused, of which this machine has no record.
func (s *Run) unexplained(reused map[string]string) []*plan.Image {
	var out []*plan.Image
	for _, pi := range s.Images {
		if (pi.Status == plan.Stale || pi.Status == plan.Unknown) && pi.SameAs == "" && reused[pi.Name] == "" && s.State.LastSeenDigest(pi.Name) == "" {
			out = append(out, pi)
		}
	}
	return out
}

// explainFromRegistry reads, reasonLookups at a time, the stored manifest of each of want and
// words its reason against it.
func (s *Run) explainFromRegistry(ctx context.Context, want []*plan.Image, warn func(string)) map[string]Since {
	store, ok := s.reg.(inputsStore)
	if !ok || len(want) == 0 {
		return nil
	}
	commits := s.history().Commits
	if len(commits) == 0 {
		return nil
	}
	tags := make([]string, len(commits))
	for i, c := range commits {
		tags[i] = c + inputsSuffix
	}
	found := map[string]Since{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, reasonLookups)
	for _, pi := range want {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			case <-ctx.Done():
				return
			}
			since, err := s.fetchSince(ctx, store, pi, tags)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && ctx.Err() == nil:
				warn(fmt.Sprintf("%s: no reason from the registry: %v", pi.Name, err))
			case err == nil && since.Manifest != nil:
				pi.Reason = inputs.ExplainSince(since.Manifest, shareable(pi.Manifest), plan.SourcePath(pi.Config), since.Commit)
				found[pi.Name] = since
			}
		}()
	}
	wg.Wait()
	return found
}

// fetchSince reads the stored manifest of pi's nearest commit; none is no error.
func (s *Run) fetchSince(ctx context.Context, store inputsStore, pi *plan.Image, tags []string) (Since, error) {
	tag, doc, err := store.FetchFirstInputs(ctx, artifactRepo(s.inputsTag(pi)), tags)
	if err != nil || tag == "" {
		return Since{}, err
	}
	var m inputs.Manifest
	if err := json.Unmarshal(doc, &m); err != nil {
		return Since{}, fmt.Errorf("the inputs stored as %s: %w: %w", tag, registry.ErrNotInputs, err)
	}
	if m.Image != pi.Name || !strings.HasPrefix(m.Digest, "sha256:") {
		return Since{}, fmt.Errorf("the inputs stored as %s: %w: image %q, digest %q", tag, registry.ErrNotInputs, m.Image, m.Digest)
	}
	return Since{Commit: strings.TrimSuffix(tag, inputsSuffix), Manifest: &m}, nil
}

// storingInputs wraps w, with --push, to store the image's inputs manifest next to it once
// it is in the registry. Failing to store it fails nothing: the log says so.
func (s *Run) storingInputs(w workFunc, pi *plan.Image, o Options) workFunc {
	store, ok := s.reg.(inputsStore)
	if w == nil || !o.Push || !ok {
		return w
	}
	return func(ctx context.Context, logs func(string)) (st schedule.Status, err error) {
		if st, err = w(ctx, logs); err != nil {
			return st, err
		}
		if err := s.storeInputs(ctx, store, pi); err != nil && !errors.Is(err, context.Canceled) {
			logs("warning: the inputs manifest was not stored in the registry: " + err.Error())
		}
		return st, nil
	}
}

// storeInputs stores pi's inputs manifest as its inputs tag's and HEAD's commit's artifact.
func (s *Run) storeInputs(ctx context.Context, store inputsStore, pi *plan.Image) error {
	doc, err := json.Marshal(shareable(pi.Manifest))
	if err != nil {
		return err
	}
	tag := s.inputsTag(pi)
	refs := []string{tag + inputsSuffix}
	if commits := s.history().Commits; len(commits) > 0 {
		refs = append(refs, artifactRepo(tag)+":"+commits[0]+inputsSuffix)
	}
	return store.StoreInputs(ctx, doc, refs...)
}

// artifactRepo is the repository of an inputs tag.
func artifactRepo(inputsTag string) string {
	return inputsTag[:strings.LastIndex(inputsTag, ":")]
}

// shareable is m as the registry keeps it: build arg values by their sha256 (a value may be
// what its owner would not publish; reasons only compare them), without the args left out of
// the digest (DOCKER_TAG changes with every commit).
func shareable(m *inputs.Manifest) *inputs.Manifest {
	c := *m
	c.ExtraArgs = nil
	c.Args = maps.Clone(m.Args)
	for k, v := range c.Args {
		sum := sha256.Sum256([]byte(v))
		c.Args[k] = "sha256:" + hex.EncodeToString(sum[:])
	}
	return &c
}

// Diff is every change from the inputs pushed at s.Commit to cur (see inputs.Diff).
func (s Since) Diff(cur *inputs.Manifest, source func(name string) string) []inputs.Change {
	return inputs.Diff(s.Manifest, shareable(cur), source)
}
