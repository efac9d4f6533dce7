package config

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/distribution/reference"
)

var tagRE = regexp.MustCompile(`^` + reference.TagRegexp.String() + `$`)

// refSite is one ref an image gets, and the field that gave it.
type refSite struct {
	image    *Image
	norm     string // fully qualified, with a tag, for comparing
	familiar string // as shown to people
	field    string
}

// checkRefs resolves the image's main ref and extra tags, and records them for
// checkDuplicateRefs. Refs are stored in their familiar form with a tag: "acme/web:latest".
func (d *decoder) checkRefs(p *Project, img *Image, f string) {
	field := f + ".image"
	if img.Ref == "" {
		field, img.Ref = f, defaultRef(p, img.Name)
	}
	if !d.bad[field] && !d.bad["repo"] && !d.bad["tag"] {
		img.Ref = d.addRef(img, field, img.Ref)
	}
	for i, t := range img.Tags {
		if fi := fmt.Sprintf("%s.tags[%d]", f, i); t != "" && !d.bad[fi] {
			img.Tags[i] = d.addRef(img, fi, t)
		}
	}
	img.Tags = compact(img.Tags)
}

func defaultRef(p *Project, name string) string {
	if p.Repo == "" {
		return name + ":" + p.Tag
	}
	return p.Repo + "/" + name + ":" + p.Tag
}

func (d *decoder) addRef(img *Image, field, s string) string {
	named, ok := d.ref(field, s, false)
	if !ok {
		return s
	}
	tagged := reference.TagNameOnly(named)
	familiar := reference.FamiliarString(tagged)
	d.refs = append(d.refs, refSite{image: img, norm: tagged.String(), familiar: familiar, field: field})
	return familiar
}

// ref parses an image reference; digests are allowed only where imagemake reads an image.
func (d *decoder) ref(field, s string, digestOK bool) (reference.Named, bool) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		d.errField(field, "invalid image reference %q%s", s, refProblem(err))
		return nil, false
	}
	if _, ok := named.(reference.Digested); ok && !digestOK {
		d.errField(field, "image reference %q has a digest: imagemake tags the images it builds", s)
		return nil, false
	}
	return named, true
}

func refProblem(err error) string {
	if err == nil {
		return ""
	}
	if strings.Contains(err.Error(), "must be lowercase") {
		return ": repository names must be lowercase"
	}
	for _, known := range []error{reference.ErrNameContainsUppercase, reference.ErrNameTooLong,
		reference.ErrTagInvalidFormat, reference.ErrDigestInvalidFormat, reference.ErrNameEmpty} {
		if errors.Is(err, known) {
			return ": " + known.Error()
		}
	}
	return ""
}

// checkRepo checks a registry and repository prefix such as registry.example.com:5000/team.
func (d *decoder) checkRepo(field, repo string) {
	if _, err := reference.ParseNormalizedNamed(repo + "/x"); err != nil {
		problem := refProblem(err)
		if problem == "" {
			problem = ": expected a registry and/or path such as registry.example.com:5000/team"
		}
		d.errField(field, "invalid repository %q%s", repo, problem)
		d.bad[field] = true
	}
}

func (d *decoder) checkTag(field, tag string) {
	if !tagRE.MatchString(tag) {
		d.errField(field, "invalid tag %q: up to 128 letters, digits, _ . and -, not starting with . or -", tag)
		d.bad[field] = true
	}
}

// checkDuplicateRefs reports every ref already given to another image, at the later one.
func (d *decoder) checkDuplicateRefs() {
	sort.SliceStable(d.refs, func(i, j int) bool {
		a, b := d.pos[d.refs[i].field], d.pos[d.refs[j].field]
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	first := map[string]*Image{}
	for _, r := range d.refs {
		prev, seen := first[r.norm]
		switch {
		case !seen:
			first[r.norm] = r.image
		case prev != r.image:
			d.errField(r.field, "same ref as images.%s (line %d): %s", prev.Name, prev.Pos.Line, r.familiar)
		}
	}
}
