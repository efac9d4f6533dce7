package project

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/distribution/reference"

	"github.com/imagemake/imagemake/internal/config"
)

// mergeImports adds the images of the project's compose and bake files to p.Images. An
// imported image whose name is also an images: entry is an error, unless that entry sets
// neither context nor dockerfile: it then only adds keys, merged onto the imported image.
//
// Checks are the minimum config's own validation would do for these images: image name, and
// refs not shared with another image. Paths were checked by the importers.
func mergeImports(p *config.Project, l *imports) error {
	if err := l.err(p); err != nil {
		return err
	}
	cfgName := configName(p)
	fail := func(file, field, format string, args ...any) error {
		return &config.Errors{List: []config.Error{{File: file, Field: field, Msg: fmt.Sprintf(format, args...)}}}
	}
	from := map[string]string{} // image name -> where it is imported from, for error messages
	for _, s := range l.list {
		ci := s.Image
		field := s.What + "s." + ci.Name
		if !config.ValidImageName(ci.Name) {
			return fail(s.File, field, "invalid image name %q: use lowercase letters and digits, separated by . _ or -", ci.Name)
		}
		if prev, dup := from[ci.Name]; dup {
			return fail(cfgName, "", "%s and %s both define image %s", prev, s.where(), ci.Name)
		}
		from[ci.Name] = s.where()
		own := p.Image(ci.Name)
		if own == nil {
			if ci.Ref == "" {
				ci.Ref = defaultRef(p, ci.Name)
			}
			p.DefaultPlatforms(ci)
			p.Images = append(p.Images, ci)
			continue
		}
		if own.Context != "" || own.Dockerfile != "" {
			return fail(cfgName, "", "images.%s (%s:%d:%d) and %s both define image %s: "+
				"remove one, or drop context/dockerfile from images.%s so it only adds keys to the %s",
				own.Name, cfgName, own.Pos.Line, own.Pos.Col, s.where(), ci.Name, own.Name, s.What)
		}
		extend(p, own, ci)
	}
	sort.Slice(p.Images, func(i, j int) bool { return p.Images[i].Name < p.Images[j].Name })
	return checkRefs(p, from, cfgName)
}

// extend merges what the images: entry own adds onto the compose image ci, in place of own:
// lists are appended, maps merged with own's values winning, scalars set in own win.
func extend(p *config.Project, own, ci *config.Image) {
	ownRef := own.Ref
	if ownRef == defaultRef(p, own.Name) { // config filled the default: no image: given
		ownRef = ""
	}
	own.Context, own.Dockerfile = ci.Context, ci.Dockerfile
	own.Include = append(ci.Include, own.Include...)
	own.Exclude = append(ci.Exclude, own.Exclude...)
	own.Args = mergeMaps(ci.Args, own.Args)
	own.Labels = mergeMaps(ci.Labels, own.Labels)
	own.Contexts = mergeMaps(ci.Contexts, own.Contexts)
	own.Tags = append(ci.Tags, own.Tags...)
	own.DependsOn = append(ci.DependsOn, own.DependsOn...)
	own.Secrets = mergeSecrets(ci.Secrets, own.Secrets)
	own.SSH = mergeSSH(ci.SSH, own.SSH)
	own.CacheFrom = append(ci.CacheFrom, own.CacheFrom...)
	own.Target = firstSet(own.Target, ci.Target)
	switch {
	case own.Platform != "" || len(own.Platforms) > 0: // own's choice replaces the file's
	case len(ci.Platforms) > 0:
		own.Platforms = ci.Platforms
	default:
		own.Platform = ci.Platform
	}
	p.DefaultPlatforms(own)
	own.Network = firstSet(own.Network, ci.Network)
	own.Ref = firstSet(ownRef, ci.Ref, defaultRef(p, own.Name))
}

// mergeSecrets is base's secrets then over's, a secret of over replacing base's of that id.
func mergeSecrets(base, over []config.Secret) []config.Secret {
	out := slices.DeleteFunc(slices.Clone(base), func(b config.Secret) bool {
		return slices.ContainsFunc(over, func(o config.Secret) bool { return o.ID == b.ID })
	})
	return append(out, over...)
}

// mergeSSH is base's ssh forwards then over's, one of over replacing base's of that id.
func mergeSSH(base, over []string) []string {
	id := func(s string) string { i, _, _ := strings.Cut(s, "="); return i }
	out := slices.DeleteFunc(slices.Clone(base), func(b string) bool {
		return slices.ContainsFunc(over, func(o string) bool { return id(o) == id(b) })
	})
	return append(out, over...)
}

func mergeMaps(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return over
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// defaultRef is config's default ref, {repo}/{name}:{tag}.
func defaultRef(p *config.Project, name string) string {
	if p.Repo == "" {
		return name + ":" + p.Tag
	}
	return p.Repo + "/" + name + ":" + p.Tag
}

// checkRefs reports a ref given to two images when one of them comes from a compose file
// (config already checked the images: entries among themselves), and contexts/depends_on naming
// no image.
func checkRefs(p *config.Project, from map[string]string, cfgName string) error {
	where := func(img *config.Image) string {
		if w, ok := from[img.Name]; ok {
			return w
		}
		return fmt.Sprintf("images.%s (%s:%d:%d)", img.Name, cfgName, img.Pos.Line, img.Pos.Col)
	}
	seen := map[string]*config.Image{}
	for _, img := range p.Images {
		for _, r := range img.Refs() {
			named, err := reference.ParseNormalizedNamed(r)
			if err != nil {
				return &config.Errors{List: []config.Error{{File: cfgName, Msg: fmt.Sprintf("%s: invalid image reference %q", where(img), r)}}}
			}
			norm := reference.TagNameOnly(named).String()
			prev, ok := seen[norm]
			switch {
			case !ok:
				seen[norm] = img
			case prev != img && (from[prev.Name] != "" || from[img.Name] != ""):
				return &config.Errors{List: []config.Error{{File: cfgName,
					Msg: fmt.Sprintf("%s and %s have the same ref %s", where(prev), where(img), r)}}}
			}
		}
		for k, v := range img.Contexts {
			if name, ok := cutImage(v); ok && p.Image(name) == nil {
				return &config.Errors{List: []config.Error{{File: cfgName,
					Msg: fmt.Sprintf("%s: named context %s: no image or service named %q", where(img), k, name)}}}
			}
		}
	}
	return nil
}

func cutImage(v string) (string, bool) {
	const prefix = "image:"
	if len(v) > len(prefix) && v[:len(prefix)] == prefix {
		return v[len(prefix):], true
	}
	return "", false
}

// configName is the config file as errors name it: relative to the working directory when
// that is shorter.
func configName(p *config.Project) string {
	wd, err := filepath.Abs(".")
	if err != nil {
		return p.File
	}
	if rel, err := filepath.Rel(wd, p.File); err == nil && len(rel) < len(p.File) {
		return rel
	}
	return p.File
}
