// Package docs holds what imagemake ships from its documentation: the JSON Schema of
// imagemake.yaml, which `imagemake schema` prints.
package docs

import _ "embed"

// Schema is docs/imagemake.schema.json (draft 2020-12).
//
//go:embed imagemake.schema.json
var Schema []byte
