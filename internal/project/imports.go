package project

import (
	"context"
	"errors"

	"github.com/imagemake/imagemake/internal/compose"
	"github.com/imagemake/imagemake/internal/config"
)

// imported is an image defined outside imagemake.yaml: a Compose service or a bake target.
type imported struct {
	Image *config.Image
	File  string // the file defining it, project-relative, as messages show it
	What  string // what it is in that file: "service" or "target"
}

// where names an imported image in messages: "service api in deploy/compose.yml".
func (i imported) where() string { return i.What + " " + i.Image.Name + " in " + i.File }

// importer reads one kind of file the project imports (p.Compose, p.Bake). before holds the
// names of the images the importers before it defined. Its warnings name the file and what was
// not carried over; its error is the user's input being wrong.
type importer func(ctx context.Context, p *config.Project, before map[string]bool) (images []imported, warnings []string, err error)

// importers are run in this order; an image defined twice among them is an error.
var importers = []importer{importCompose, importBake}

// imports loads the imported files once: config asks for the images' names before it
// validates, and mergeImports takes the images after.
type imports struct {
	list     []imported
	warnings []string
	errs     []error
}

// names loads the files and names the images they define, so imagemake.yaml can name them; a
// file that does not load names none here, and mergeImports reports why.
func (l *imports) names(ctx context.Context, p *config.Project) []string {
	before := map[string]bool{}
	for _, imp := range importers {
		imgs, warns, err := imp(ctx, p, before)
		for _, i := range imgs {
			before[i.Image.Name] = true
		}
		l.list = append(l.list, imgs...)
		l.warnings = append(l.warnings, warns...)
		if err != nil {
			l.errs = append(l.errs, err)
		}
	}
	names := make([]string, 0, len(l.list))
	for _, i := range l.list {
		names = append(names, i.Image.Name)
	}
	return names
}

// find returns the imported image of that name.
func (l *imports) find(name string) (imported, bool) {
	for _, i := range l.list {
		if i.Image.Name == name {
			return i, true
		}
	}
	return imported{}, false
}

// asConfigErrors is err when it is the *config.Errors the importers return for the user's
// input, else err as one problem of the config's field.
func asConfigErrors(p *config.Project, field string, err error) error {
	var ce *config.Errors
	if errors.As(err, &ce) {
		return ce
	}
	return &config.Errors{List: []config.Error{{File: configName(p), Field: field, Msg: err.Error()}}}
}

// err is every load error of the imported files, as one *config.Errors.
func (l *imports) err(p *config.Project) error {
	if len(l.errs) == 0 {
		return nil
	}
	all := &config.Errors{}
	for _, err := range l.errs {
		var ce *config.Errors
		if errors.As(err, &ce) {
			all.List = append(all.List, ce.List...)
		} else {
			all.List = append(all.List, config.Error{File: configName(p), Msg: err.Error()})
		}
	}
	return all
}

// importCompose reads the project's Compose files (p.Compose) with its profiles.
func importCompose(ctx context.Context, p *config.Project, _ map[string]bool) ([]imported, []string, error) {
	if len(p.Compose) == 0 {
		return nil, nil, nil
	}
	svcs, warnings, err := compose.Load(ctx, compose.Options{Root: p.Root, Files: p.Compose, Env: p.Env, Profiles: p.Profiles})
	if err != nil {
		return nil, warnings, asConfigErrors(p, "compose", err)
	}
	out := make([]imported, 0, len(svcs))
	for _, s := range svcs {
		out = append(out, imported{Image: s.Image, File: s.File, What: "service"})
	}
	return out, warnings, nil
}
