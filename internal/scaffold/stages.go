package scaffold

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// extraTargets returns the named stages of a multi-stage Dockerfile that only `--target` builds:
// the last stage does not need them, directly or through other stages, and no other stage
// reads from them. Each is an image of its own (`target:`), besides the last stage's.
func extraTargets(src []byte) []string {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil || len(stages) < 2 {
		return nil
	}
	names := make([]string, len(stages))
	for i, st := range stages {
		names[i] = strings.ToLower(st.Name)
	}
	uses := make([][]int, len(stages))
	used := make([]bool, len(stages))
	for i, st := range stages {
		for _, ref := range stageRefs(st) {
			if j := stageOf(names, ref); j >= 0 && j != i {
				uses[i] = append(uses[i], j)
				used[j] = true
			}
		}
	}
	reach := make([]bool, len(stages))
	var visit func(int)
	visit = func(i int) {
		if reach[i] {
			return
		}
		reach[i] = true
		for _, j := range uses[i] {
			visit(j)
		}
	}
	visit(len(stages) - 1)
	var out []string
	for i, n := range names {
		if n != "" && !reach[i] && !used[i] {
			out = append(out, n)
		}
	}
	return out
}

// stageRefs are what a stage reads from besides the context: its base and the --from values.
func stageRefs(st instructions.Stage) []string {
	refs := []string{st.BaseName}
	for _, c := range st.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			if c.From != "" {
				refs = append(refs, c.From)
			}
		case *instructions.RunCommand:
			for _, m := range instructions.GetMounts(c) {
				if m.From != "" {
					refs = append(refs, m.From)
				}
			}
		}
	}
	return refs
}

// stageOf finds the stage a reference names, by name or index; -1 when it is an image.
func stageOf(names []string, ref string) int {
	if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < len(names) {
		return n
	}
	ref = strings.ToLower(ref)
	for j, n := range names {
		if n != "" && n == ref {
			return j
		}
	}
	return -1
}
