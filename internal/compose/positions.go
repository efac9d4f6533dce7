package compose

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// pos is where a key is written in a Compose file.
type pos struct{ Line, Col int }

// keys indexes where each key of one Compose file is written, by dotted path
// ("services.web.build.context", list items as "secrets[0]"). compose-go's model keeps no
// positions: errors and warnings find the line of the field they name here.
type keys map[string]pos

// readKeys indexes the file at path. A file that does not parse gives an empty index and
// where the syntax error is: compose-go says why the file does not load, but the YAML library
// it uses counts some lines from 0 and others from 1.
func readKeys(path string) (keys, *pos) {
	out := keys{}
	data, err := os.ReadFile(path)
	if err != nil {
		return out, nil
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var se interface{ GetToken() *token.Token }
		if errors.As(err, &se) && se.GetToken() != nil && se.GetToken().Position != nil {
			return out, &pos{se.GetToken().Position.Line, se.GetToken().Position.Column}
		}
		return out, nil
	}
	for _, doc := range f.Docs {
		out.walk(doc.Body, "")
	}
	return out, nil
}

func (k keys) walk(n ast.Node, path string) {
	switch v := n.(type) {
	case *ast.AnchorNode:
		k.walk(v.Value, path)
	case *ast.TagNode:
		k.walk(v.Value, path)
	case *ast.MappingNode:
		for _, mv := range v.Values {
			k.walk(mv, path)
		}
	case *ast.MappingValueNode:
		name := keyName(v.Key)
		if name == "" || name == "<<" { // merge keys: their fields are found by their parent's line
			return
		}
		child := name
		if path != "" {
			child = path + "." + name
		}
		if tk := v.Key.GetToken(); tk != nil && tk.Position != nil {
			k[child] = pos{tk.Position.Line, tk.Position.Column}
		}
		k.walk(v.Value, child)
	case *ast.SequenceNode:
		for i, item := range v.Values {
			p := path + "[" + strconv.Itoa(i) + "]"
			if tk := start(item).GetToken(); tk != nil && tk.Position != nil {
				k[p] = pos{tk.Position.Line, tk.Position.Column}
			}
			k.walk(item, p)
		}
	}
}

// start is the node a person reading the file would point at for n: a block map's first key,
// not its first colon.
func start(n ast.Node) ast.Node {
	switch v := n.(type) {
	case *ast.MappingNode:
		if len(v.Values) > 0 && !v.IsFlowStyle {
			return start(v.Values[0])
		}
	case *ast.MappingValueNode:
		return start(v.Key)
	case *ast.MappingKeyNode:
		return start(v.Value)
	case *ast.AnchorNode:
		return start(v.Value)
	case *ast.TagNode:
		return start(v.Value)
	}
	return n
}

func keyName(n ast.Node) string {
	if mk, ok := n.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	if n == nil || n.GetToken() == nil {
		return ""
	}
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	return n.GetToken().Value
}

// find is where path, or the closest of its parents, is written; ok is false when none is.
func (k keys) find(path string) (pos, bool) {
	for p := path; p != ""; p = parent(p) {
		if at, ok := k[p]; ok {
			return at, true
		}
	}
	return pos{}, false
}

// parent drops the last element of a dotted path: "a.b[0]" -> "a.b", "a.b" -> "a".
func parent(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i > 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i > 0 {
		return p[:i]
	}
	return ""
}
