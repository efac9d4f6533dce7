package graph

import (
	"errors"
	"reflect"
	"testing"
)

func node(name string, deps ...string) Node {
	n := Node{Name: name}
	for _, d := range deps {
		n.Deps = append(n.Deps, Dep{Name: d, Why: "depends_on"})
	}
	return n
}

func TestOrderAndHeight(t *testing.T) {
	g, err := New([]Node{
		node("svc2", "pybase"), node("svc1", "pybase"), node("pybase"),
		node("openresty", "luabase"), node("luabase"), node("top", "svc1", "openresty"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"luabase", "openresty", "pybase", "svc1", "svc2", "top"}
	if got := g.Order(); !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	heights := map[string]int{"pybase": 2, "svc1": 1, "svc2": 0, "luabase": 2, "top": 0}
	for name, h := range heights {
		if got := g.Height(name); got != h {
			t.Errorf("height(%s) = %d, want %d", name, got, h)
		}
	}
	if got := g.Dependents("pybase"); !reflect.DeepEqual(got, []string{"svc1", "svc2"}) {
		t.Errorf("dependents(pybase) = %v", got)
	}
	if got := g.Closure([]string{"top"}); !reflect.DeepEqual(got, []string{"luabase", "openresty", "pybase", "svc1", "top"}) {
		t.Errorf("closure(top) = %v", got)
	}
}

func TestCycle(t *testing.T) {
	cases := []struct {
		nodes []Node
		path  []string
	}{
		{[]Node{node("a", "a")}, []string{"a", "a"}},
		{[]Node{node("a", "b"), node("b", "a")}, []string{"a", "b", "a"}},
		{[]Node{node("x"), node("a", "x", "b"), node("b", "c"), node("c", "a")}, []string{"a", "b", "c", "a"}},
	}
	for _, c := range cases {
		_, err := New(c.nodes)
		var ce *CycleError
		if !errors.As(err, &ce) {
			t.Fatalf("want a cycle error, got %v", err)
		}
		if !reflect.DeepEqual(ce.Path, c.path) {
			t.Errorf("cycle path = %v, want %v (%v)", ce.Path, c.path, err)
		}
	}
}

func TestUnknownDependency(t *testing.T) {
	_, err := New([]Node{node("a", "nope")})
	if err == nil || err.Error() != `image "a" depends on unknown image "nope" (depends_on)` {
		t.Fatalf("err = %v", err)
	}
}

func TestDuplicateDepsKeepFirstReason(t *testing.T) {
	g, err := New([]Node{{Name: "a", Deps: []Dep{{"b", "FROM b"}, {"b", "depends_on"}}}, node("b")})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Deps("a"); len(got) != 1 || got[0].Why != "FROM b" {
		t.Fatalf("deps = %v", got)
	}
}
