package scaffold

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// dockerBuild is a `docker build` a Makefile runs: the way the team builds an image today.
type dockerBuild struct {
	context    string            // root-relative folder
	dockerfile string            // root-relative path
	tags       []string          // the -t values that expanded fully
	args       map[string]string // the --build-arg values that expanded fully
	target     string            // --target
	where      string            // "Makefile:12"
	written    string            // the command as written, shortened
}

// makeVars are a Makefile's variables: NAME ?= value, NAME := value, NAME = value.
var (
	makeVarRE = regexp.MustCompile(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(\?=|:=|::=|=)\s*(.*)$`)
	makeRefRE = regexp.MustCompile(`\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]`)
	buildRE   = regexp.MustCompile(`\bdocker\s+(?:buildx\s+build|image\s+build|build)\b`)
)

// IsMakefile reports whether a file name is a Makefile's: Makefile, makefile, GNUmakefile, *.mk.
func IsMakefile(name string) bool {
	return name == "Makefile" || name == "makefile" || name == "GNUmakefile" || strings.HasSuffix(name, ".mk")
}

// makeBuilds reads the `docker build` commands of a Makefile, its variables expanded; a
// command holding what make alone knows ($@, a `cd`) is left out.
func makeBuilds(fsys fs.FS, file string) []dockerBuild {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil
	}
	vars := map[string]string{}
	var out []dockerBuild
	for _, ln := range logicalLines(data) {
		text := strings.TrimSpace(ln.text)
		if m := makeVarRE.FindStringSubmatch(text); m != nil && !strings.HasPrefix(ln.text, "\t") {
			if _, set := vars[m[1]]; !set || m[2] != "?=" {
				vars[m[1]] = m[3]
			}
			continue
		}
		if !strings.HasPrefix(ln.text, "\t") {
			continue
		}
		expanded := expandMake(strings.TrimLeft(text, "@-+"), vars, 0)
		for _, cmd := range splitCommands(expanded) {
			if strings.HasPrefix(strings.TrimSpace(cmd), "cd ") {
				break // the folder the rest runs in is make's to know
			}
			if b, ok := parseBuild(cmd, path.Dir(file)); ok {
				b.where = fmt.Sprintf("%s:%d", file, ln.line)
				b.written = shorten(strings.TrimLeft(text, "@-+"))
				out = append(out, b)
			}
		}
	}
	return out
}

type logicalLine struct {
	text string
	line int
}

// logicalLines joins backslash-continued lines, keeping each one's first line number.
func logicalLines(data []byte) []logicalLine {
	var out []logicalLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n, cur, start := 0, "", 0
	for sc.Scan() {
		n++
		t := sc.Text()
		if cur == "" {
			start = n
		}
		if strings.HasSuffix(t, "\\") {
			cur += strings.TrimSuffix(t, "\\") + " "
			continue
		}
		out = append(out, logicalLine{text: cur + t, line: start})
		cur = ""
	}
	return out
}

// expandMake replaces $(VAR) and ${VAR} by the Makefile's values; depth stops a loop.
func expandMake(s string, vars map[string]string, depth int) string {
	if depth > 10 {
		return s
	}
	return makeRefRE.ReplaceAllStringFunc(s, func(ref string) string {
		name := makeRefRE.FindStringSubmatch(ref)[1]
		v, ok := vars[name]
		if !ok {
			return ref
		}
		return expandMake(v, vars, depth+1)
	})
}

// splitCommands splits a recipe line at && ; || and |.
func splitCommands(s string) []string {
	return regexp.MustCompile(`&&|\|\||;|\|`).Split(s, -1)
}

// valueFlags are the docker build flags that take a value.
var valueFlags = map[string]bool{
	"--build-arg": true, "--platform": true, "--label": true, "--network": true,
	"--cache-from": true, "--cache-to": true, "--secret": true, "--ssh": true, "--progress": true,
	"-o": true, "--output": true, "--iidfile": true, "--build-context": true, "--add-host": true,
	"--metadata-file": true, "--builder": true, "--shm-size": true, "--ulimit": true, "--attest": true,
	"--annotation": true, "--allow": true, "--call": true, "--cgroup-parent": true, "-m": true, "--memory": true,
}

// parseBuild reads one docker build command run in dir.
func parseBuild(cmd, dir string) (dockerBuild, bool) {
	loc := buildRE.FindStringIndex(cmd)
	if loc == nil {
		return dockerBuild{}, false
	}
	words, err := shell.NewLex('\\').ProcessWords(cmd[loc[1]:], shell.EnvsFromSlice(nil))
	if err != nil {
		return dockerBuild{}, false
	}
	b := dockerBuild{args: map[string]string{}}
	var df, ctx string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "<") || strings.HasPrefix(w, ">") || strings.HasPrefix(w, "2>") {
			break
		}
		flag, val, hasVal := strings.Cut(w, "=")
		switch {
		case flag == "--target":
			if !hasVal && i+1 < len(words) {
				i++
				val = words[i]
			}
			b.target = val
		case flag == "--build-arg":
			if !hasVal && i+1 < len(words) {
				i++
				val = words[i]
			}
			if k, v, ok := strings.Cut(val, "="); ok && !strings.Contains(v, "$") {
				b.args[k] = v
			}
		case flag == "-t" || flag == "--tag" || flag == "-f" || flag == "--file":
			if !hasVal {
				if i+1 >= len(words) {
					return dockerBuild{}, false
				}
				i++
				val = words[i]
			}
			if flag == "-f" || flag == "--file" {
				df = val
			} else if !strings.Contains(val, "$") {
				b.tags = append(b.tags, val)
			}
		case strings.HasPrefix(w, "-"):
			if valueFlags[flag] && !hasVal {
				i++
			}
		default:
			ctx = w
		}
	}
	if len(b.args) == 0 {
		b.args = nil
	}
	if ctx == "" || ctx == "-" || strings.Contains(ctx, "$") || strings.Contains(df, "$") || strings.Contains(ctx, "://") {
		return dockerBuild{}, false
	}
	b.context = cleanRel(path.Join(dir, ctx))
	if df == "" {
		b.dockerfile = path.Join(b.context, "Dockerfile")
	} else {
		// docker build resolves -f against the working directory, not the context
		b.dockerfile = cleanRel(path.Join(dir, df))
	}
	return b, !strings.HasPrefix(b.context, "..") && !strings.HasPrefix(b.dockerfile, "..")
}

func cleanRel(p string) string { return path.Clean(p) }

func shorten(s string) string {
	s = oneLine(s)
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
