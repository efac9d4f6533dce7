package config

import (
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// maxAliasHops bounds alias-to-anchor chains, which a crafted file can make loop.
const maxAliasHops = 64

// posOf is where a node starts, as a person reading the file would point at it: a block map
// starts at its first key, not at the first colon.
func posOf(n ast.Node) Pos {
	switch v := n.(type) {
	case nil:
		return Pos{}
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return posOf(v.Values[0])
		}
	case *ast.MappingValueNode:
		return posOf(v.Key)
	case *ast.AnchorNode:
		return posOf(v.Value)
	case *ast.TagNode:
		return posOf(v.Value)
	}
	return tokenPos(n.GetToken())
}

func tokenPos(tk *token.Token) Pos {
	if tk == nil || tk.Position == nil {
		return Pos{}
	}
	return Pos{Line: tk.Position.Line, Col: tk.Position.Column}
}

func offsetOf(n ast.Node) int {
	if n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return -1
	}
	return n.GetToken().Position.Offset
}

// kindOf names a node's kind for "expected X, got Y" messages.
func kindOf(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode:
		return "a map"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	}
	return "a string"
}

// scalarText is a scalar's text as written, so `3.10` stays "3.10" and `true` stays "true".
// Null is the empty string. ok is false for maps and lists.
func scalarText(n ast.Node) (text string, ok bool) {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "", true
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
		return "", true
	}
	return "", false
}

// anchors indexes a document's anchors by name, in document order.
type anchors map[string][]*ast.AnchorNode

func (a anchors) Visit(n ast.Node) ast.Visitor {
	if n == nil {
		return nil
	}
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil && an.Name.GetToken() != nil {
		name := an.Name.GetToken().Value
		a[name] = append(a[name], an)
	}
	return a
}

// target is the value of the last anchor with the alias's name defined before the alias.
func (a anchors) target(al *ast.AliasNode) (ast.Node, string) {
	name := ""
	if al.Value != nil && al.Value.GetToken() != nil {
		name = al.Value.GetToken().Value
	}
	list := a[name]
	for i := len(list) - 1; i >= 0; i-- {
		if offsetOf(list[i]) < offsetOf(al) {
			return list[i].Value, name
		}
	}
	return nil, name
}

// keyText is a key's text as written, so a key spelled NULL or ~ keeps its name. It does not
// follow aliases.
func keyText(n ast.Node) (string, bool) {
	if k, ok := n.(*ast.MappingKeyNode); ok {
		n = k.Value
	}
	if _, ok := n.(*ast.NullNode); ok && n.GetToken() != nil {
		return n.GetToken().Value, true
	}
	return scalarText(n)
}
