package docs

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatalf("imagemake.schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("imagemake.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("imagemake.schema.json") // checks it against the draft 2020-12 meta-schema
	if err != nil {
		t.Fatalf("imagemake.schema.json is not a valid schema: %v", err)
	}
	return s
}

// validate reads a YAML config as JSON and validates it.
func validate(t *testing.T, s *jsonschema.Schema, file string) error {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

func configs(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no config matches %s (%v)", pattern, err)
	}
	return files
}

func TestSchemaAcceptsGoodConfigs(t *testing.T) {
	s := compile(t)
	files := append(configs(t, "../examples/*/imagemake.yaml"), configs(t, "../internal/config/testdata/good/*/imagemake.yaml")...)
	for _, f := range files {
		if err := validate(t, s, f); err != nil {
			t.Errorf("%s does not validate: %v", f, err)
		}
	}
}

// TestSchemaRejectsUnknownKeys: every bad config the decoder rejects with an unknown key is
// rejected by the schema too.
func TestSchemaRejectsUnknownKeys(t *testing.T) {
	s := compile(t)
	n := 0
	for _, want := range configs(t, "../internal/config/testdata/bad/*/want.txt") {
		msg, err := os.ReadFile(want)
		if err != nil || !strings.Contains(string(msg), "unknown key") {
			continue
		}
		n++
		f := filepath.Join(filepath.Dir(want), "imagemake.yaml")
		if err := validate(t, s, f); err == nil {
			t.Errorf("%s has an unknown key, yet validates", f)
		}
	}
	if n == 0 {
		t.Fatal("no bad config with an unknown key")
	}
}

// schemaObjects says where the schema describes the map each decoder function reads (the
// functions of internal/config that have a map[string]fieldFunc of keys).
var schemaObjects = map[string]string{
	"project": "",
	"cache":   "$defs/cache",
	"image":   "$defs/image",
	"include": "$defs/includeMap",
	"secrets": "$defs/secret",
	"task":    "$defs/task",
}

// TestSchemaHasEveryDecoderKey reads the decoder's key tables from its source, so the schema
// and the decoder cannot drift apart: each key the decoder accepts is a property of the
// schema, and each property of the schema is a key the decoder accepts.
func TestSchemaHasEveryDecoderKey(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	tables := decoderKeys(t, "../internal/config")
	for fn, keys := range tables {
		where, ok := schemaObjects[fn]
		if !ok {
			t.Errorf("decoder function %s reads keys %v: say in schemaObjects where the schema describes them", fn, keys)
			continue
		}
		props := properties(schema, where)
		for _, k := range keys {
			if _, ok := props[k]; !ok {
				t.Errorf("the decoder reads %q in %s, the schema has no such property at #/%s", k, fn, where)
			}
		}
		for k := range props {
			if !slices.Contains(keys, k) {
				t.Errorf("the schema has %q at #/%s, which the decoder (%s) does not accept", k, where, fn)
			}
		}
	}
	for fn := range schemaObjects {
		if _, ok := tables[fn]; !ok {
			t.Errorf("schemaObjects names %s, which has no key table in internal/config", fn)
		}
	}
}

func properties(schema map[string]any, pointer string) map[string]any {
	node := schema
	for part := range strings.SplitSeq(pointer, "/") {
		if part != "" {
			node, _ = node[part].(map[string]any)
		}
	}
	props, _ := node["properties"].(map[string]any)
	return props
}

// decoderKeys returns, by function, the keys of the map[string]fieldFunc literals in dir's Go
// files.
func decoderKeys(t *testing.T, dir string) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok {
				if keys := fieldTableKeys(fn); len(keys) > 0 {
					out[fn.Name.Name] = append(out[fn.Name.Name], keys...)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no map[string]fieldFunc found in %s", dir)
	}
	return out
}

func fieldTableKeys(fn *ast.FuncDecl) []string {
	keys := map[string]bool{}
	ast.Inspect(fn, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if mt, ok := lit.Type.(*ast.MapType); !ok || !isIdent(mt.Value, "fieldFunc") {
			return true
		}
		for _, e := range lit.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				if b, ok := kv.Key.(*ast.BasicLit); ok && b.Kind == token.STRING {
					k, _ := strconv.Unquote(b.Value)
					keys[k] = true
				}
			}
		}
		return true
	})
	return slices.Sorted(maps.Keys(keys))
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
