package config

// ImageError is a problem found after loading (in a Dockerfile, in the graph) that belongs to
// an image: it points at the image's declaration in the config file, like every config error.
func (p *Project) ImageError(img *Image, field, msg string) *Errors {
	name := "images." + img.Name
	if field != "" {
		name += "." + field
	}
	return &Errors{List: []Error{{File: displayPath(p.File, p.File), Line: img.Pos.Line, Col: img.Pos.Col,
		Field: name, Msg: msg}}}
}
