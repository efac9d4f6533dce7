package dockerfile

import "slices"

// resolveAll resolves f for every platform of opts.Platforms (a multi-platform build runs the
// Dockerfile once per platform) and merges what they read: a path or image any of them reads
// is read. The stages, their names and their args are the same for every platform.
func resolveAll(f *file, opts Options, escape rune) (*Info, error) {
	var all *Info
	for _, p := range opts.Platforms {
		one := opts
		one.Platform, one.Platforms = p, nil
		info, err := resolveOne(f, one, escape)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = info
			continue
		}
		all.merge(info)
	}
	return all, nil
}

// merge adds to i the refs, sources and stage needs of o that i lacks, keeping i's order and
// adding o's new ones after; i depends on the platform when either does.
func (i *Info) merge(o *Info) {
	i.platformDependent = i.platformDependent || o.platformDependent
	for _, r := range o.Refs {
		if !slices.Contains(i.Refs, r) {
			i.Refs = append(i.Refs, r)
		}
	}
	for _, s := range o.Sources {
		if !slices.Contains(i.Sources, s) {
			i.Sources = append(i.Sources, s)
		}
	}
	for s, needs := range o.needs {
		for _, n := range needs {
			if !slices.Contains(i.needs[s], n) {
				i.needs[s] = append(i.needs[s], n)
			}
		}
	}
}

// PlatformDependent tells whether reading the Dockerfile depended on a platform it was not
// given: a FROM line (or FROM --platform) or a context path of some stage used an automatic
// platform arg that neither Options.Platform(s), Options.BuildPlatform nor a build arg set.
// Read again with the builder's platform (Options.BuildPlatform), it names the bases and the
// context paths that builder's build reads.
func (i *Info) PlatformDependent() bool { return i.platformDependent }
