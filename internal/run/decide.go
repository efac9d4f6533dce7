// Package run holds what a run of imagemake decides for each image, apart from the commands
// that print it: one typed decision per image, from a pure function of what the plan, the
// engine and the registry say.
package run

import "fmt"

// Action is what a run does with one image.
type Action int

// Actions, from the least work to the most.
const (
	// Nothing: the engine holds the image with its current inputs.
	Nothing Action = iota
	// Publish: the image is up to date; --push sends its refs and inputs tag to the registry.
	Publish
	// Tag: the engine holds an image of the same inputs under another ref; it is tagged.
	Tag
	// Reuse: the registry holds the image's inputs tag; it is pulled (or retagged there).
	Reuse
	// Build: nothing holds the image's inputs; it is built.
	Build
	// Unavailable: nothing holds the image's inputs and the run may not build (imagemake pull).
	Unavailable
)

func (a Action) String() string {
	switch a {
	case Nothing:
		return "up to date"
	case Publish:
		return "publish"
	case Tag:
		return "tag"
	case Reuse:
		return "reuse"
	case Build:
		return "build"
	case Unavailable:
		return "unavailable"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Facts are what the plan, the engine and the registry say of one image, and the flags of the
// run that bear on it.
type Facts struct {
	UpToDate   bool   // the engine holds the image's refs with its current inputs
	SameAs     string // an image the engine holds with the same inputs under another ref ("" = none)
	InRegistry string // the ref of the image's inputs tag found in the registry ("" = none)
	Push       bool   // --push
	Rebuild    bool   // --always-make: build even when an image of the same inputs exists
	// Fetch: the run only brings images into the engine (imagemake pull): it tags or pulls
	// what the engine or the registry holds and never builds.
	Fetch bool
	// Aside: the image is planned only as a dependency of the named ones and no image of the
	// run builds on it, so the engine need not hold it: held in the registry, it is not pulled.
	Aside bool
}

// Decision is what the run does with one image: Action, and the image it starts from (the
// engine's ref to tag, or the registry's ref to reuse). Push says the result is also pushed.
type Decision struct {
	Action Action
	From   string
	Push   bool
}

// Decide is the decision for one image. An up-to-date image is left alone, or with --push
// published; an image whose inputs the engine or the registry already holds is tagged or
// reused unless --always-make asks for a build; anything else is built, unless the run only
// fetches: then it is unavailable. Reuse with Push retags in the registry and pulls nothing
// (when the refs are in the registry the inputs tag is in); Reuse without it pulls, so an
// image set aside that the registry holds is left there.
func Decide(f Facts) Decision {
	if f.Fetch {
		f.Push, f.Rebuild = false, false // pull neither pushes nor builds
	}
	switch {
	case f.UpToDate && f.Push:
		return Decision{Action: Publish, Push: true}
	case f.UpToDate:
		return Decision{Action: Nothing}
	case f.SameAs != "" && !f.Rebuild:
		return Decision{Action: Tag, From: f.SameAs, Push: f.Push}
	case f.InRegistry != "" && !f.Rebuild && f.Aside && !f.Push:
		return Decision{Action: Nothing}
	case f.InRegistry != "" && !f.Rebuild:
		return Decision{Action: Reuse, From: f.InRegistry, Push: f.Push}
	case f.Fetch:
		return Decision{Action: Unavailable}
	default:
		return Decision{Action: Build, Push: f.Push}
	}
}
