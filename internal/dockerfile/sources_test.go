package dockerfile

import (
	"reflect"
	"strings"
	"testing"
)

var contextTests = []struct {
	name  string
	src   string
	opts  Options
	paths []string
	whole string // substring of the whole-context source's String(), "" when narrowed
}{
	{"named paths", "FROM scratch\nCOPY ./sub/src/ /app/\nCOPY ./bin /bin\nCOPY pyproject.toml /\n", Options{},
		[]string{"bin", "pyproject.toml", "sub/src"}, ""},
	{"several sources, duplicates once", "FROM scratch\nCOPY a b /d/\nCOPY a /e\n", Options{}, []string{"a", "b"}, ""},
	{"globs kept", "FROM scratch\nCOPY *.txt src/**/x.go /d/\n", Options{}, []string{"*.txt", "src/**/x.go"}, ""},
	{"JSON form", "FROM scratch\nCOPY [\"a b\", \"/d\"]\n", Options{}, []string{"a b"}, ""},
	{"dot-dot cleaned as BuildKit does", "FROM scratch\nCOPY ../x ./y/../z /d/\n", Options{}, []string{"x", "z"}, ""},
	{"COPY . is the whole context", "FROM scratch\nCOPY src /a\nCOPY . /app\n", Options{}, nil, "line 3: COPY ."},
	{"COPY / is the whole context", "FROM scratch\nCOPY / /app\n", Options{}, nil, "COPY /"},
	{"nothing read", "FROM alpine\nRUN true\n", Options{}, nil, ""},
	{"COPY --from is no context", "FROM alpine AS b\nFROM scratch\nCOPY --from=b /x /x\nCOPY --from=alpine / /\n", Options{}, nil, ""},
	{"heredoc is no context", "FROM scratch\nCOPY <<EOF /x\nhi\nEOF\n", Options{}, nil, ""},
	{"ADD URL is no context", "FROM scratch\nADD https://example.com/x.tgz /x\nADD local.tgz /y\n", Options{}, []string{"local.tgz"}, ""},
	{"COPY --parents and --exclude", "FROM scratch\nCOPY --parents --exclude=*.md ./a/./b /d/\n", Options{}, []string{"a/b"}, ""},

	// Variables.
	{"stage ARG default", "FROM scratch\nARG APP=svc\nCOPY ${APP}/src /s\n", Options{}, []string{"svc/src"}, ""},
	{"build arg over default", "FROM scratch\nARG APP=svc\nCOPY $APP /s\n", Options{Args: map[string]string{"APP": "db"}}, []string{"db"}, ""},
	{"stage ARG takes the global value", "ARG APP=web\nFROM scratch\nARG APP\nCOPY $APP /s\n", Options{}, []string{"web"}, ""},
	{"global ARG not redeclared is unset", "ARG APP=web\nFROM scratch\nCOPY $APP/x /s\n", Options{}, nil, "$APP is not set in the Dockerfile"},
	{"unset variable", "FROM alpine\nCOPY ${SRC:-x} /s\n", Options{}, nil, "$SRC is not set"},
	{"ENV", "FROM scratch\nENV D=conf\nCOPY $D/app.conf /etc/\n", Options{}, []string{"conf/app.conf"}, ""},
	{"ENV expands with the env before it", "FROM scratch\nENV A=x\nENV A=y B=$A\nCOPY $B /d\n", Options{}, []string{"x"}, ""},
	{"env inherited from a base stage", "FROM scratch AS a\nARG D=lib\nFROM a\nCOPY $D /d\n", Options{}, []string{"lib"}, ""},
	{"platform arg guessed", "FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH /b\n", Options{}, nil, "$TARGETARCH is not known before the build"},
	{"platform arg given", "FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH /b\n", Options{Platform: "linux/arm64"}, []string{"bin/arm64"}, ""},
	{"platform arg as build arg", "FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH /b\n",
		Options{Args: map[string]string{"TARGETARCH": "s390x"}}, []string{"bin/s390x"}, ""},
	{"default made from a guessed arg", "FROM scratch\nARG BUILDARCH\nARG D=out-$BUILDARCH\nCOPY $D /b\n", Options{}, nil, "$D is not known"},

	// RUN --mount.
	{"bind mount source", "FROM alpine\nRUN --mount=type=bind,source=tools,target=/t true\n", Options{}, []string{"tools"}, ""},
	{"bind is the default type", "FROM alpine\nRUN --mount=source=go.sum,target=/t true\n", Options{}, []string{"go.sum"}, ""},
	{"bind without source is the whole context", "FROM alpine\nRUN --mount=target=/src make\n", Options{}, nil, "RUN --mount source="},
	{"bind from a stage is no context", "FROM alpine AS b\nFROM alpine\nRUN --mount=from=b,source=/x,target=/t true\n", Options{}, nil, ""},
	{"cache and secret mounts are no context", "FROM alpine\nRUN --mount=type=cache,target=/c --mount=type=secret,id=s true\n", Options{}, nil, ""},
	{"mount source expanded", "FROM alpine\nARG T=tools\nRUN --mount=type=bind,source=$T,target=/t true\n", Options{}, []string{"tools"}, ""},
	{"mount source unknown", "FROM alpine\nRUN --mount=type=bind,source=$T,target=/t true\n", Options{}, nil, "$T is not set"},

	// Stages.
	{"unneeded stage not read", "FROM scratch AS other\nCOPY . /\nFROM scratch\nCOPY a /a\n", Options{}, []string{"a"}, ""},
	{"needed stages read", "FROM scratch AS b\nCOPY b /b\nFROM scratch AS c\nCOPY c /c\nFROM b\nCOPY --from=c /c /c\nCOPY a /a\n",
		Options{}, []string{"a", "b", "c"}, ""},
	{"target", "FROM scratch AS a\nCOPY a /a\nFROM scratch AS b\nCOPY . /\n", Options{Target: "a"}, []string{"a"}, ""},
	{"ONBUILD of a base stage runs in the child", "FROM alpine AS base\nONBUILD COPY . /app\nFROM base\nCOPY x /x\n",
		Options{}, nil, "ONBUILD"},
	{"ONBUILD of the target runs elsewhere", "FROM alpine\nONBUILD COPY . /app\nCOPY x /x\n", Options{}, []string{"x"}, ""},

	// Frontends.
	{"Dockerfile frontend", "# syntax=docker/dockerfile:1.7\nFROM scratch\nCOPY x /x\n", Options{}, []string{"x"}, ""},
	{"Dockerfile frontend, labs", "# syntax=docker.io/docker/dockerfile-upstream:master-labs\nFROM scratch\nCOPY x /x\n", Options{}, []string{"x"}, ""},
	{"another frontend", "# syntax=example.com/frontend:1\nFROM scratch\nCOPY x /x\n", Options{}, nil, "another frontend"},
	{"BUILDKIT_SYNTAX", "FROM scratch\nCOPY x /x\n", Options{Args: map[string]string{"BUILDKIT_SYNTAX": "example.com/f"}}, nil, "another frontend"},
}

func TestContextPaths(t *testing.T) {
	for _, tt := range contextTests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ParseOptions([]byte(tt.src), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			paths, whole := info.ContextPaths()
			if !reflect.DeepEqual(paths, tt.paths) && (len(paths) != 0 || len(tt.paths) != 0) {
				t.Errorf("paths = %q, want %q", paths, tt.paths)
			}
			switch {
			case tt.whole == "" && whole != nil:
				t.Errorf("whole context by %s, want narrowed", whole)
			case tt.whole != "" && whole == nil:
				t.Errorf("narrowed to %q, want the whole context (%s)", paths, tt.whole)
			case tt.whole != "" && !strings.Contains(whole.String(), tt.whole):
				t.Errorf("whole context by %q, want it to name %q", whole, tt.whole)
			}
		})
	}
}

func TestOnbuildReadsContext(t *testing.T) {
	for src, want := range map[string]bool{
		"FROM alpine\nONBUILD COPY . /app\n":              true,
		"FROM alpine\nONBUILD COPY . /app\nFROM alpine\n": false,
		"FROM alpine\nONBUILD RUN make\n":                 true,
		"FROM alpine\nONBUILD ENV X=1\n":                  false,
		"FROM alpine AS b\nONBUILD ADD x /\nFROM b\n":     false,
		"FROM alpine\nRUN true\nONBUILD COPY src /src\n":  true,
	} {
		info, err := Parse([]byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.OnbuildReadsContext(); got != want {
			t.Errorf("%q: OnbuildReadsContext = %v, want %v", src, got, want)
		}
	}
}

func TestStageArgs(t *testing.T) {
	src := "ARG DOCKER_REPO DOCKER_TAG PYVER=3.12\nFROM ${DOCKER_REPO}/db:${DOCKER_TAG} AS base\nARG PYVER\nRUN echo $PYVER\n" +
		"FROM scratch AS unused\nARG LATE\nFROM base\nARG EXTRA=1\n"
	info, err := Parse([]byte(src), map[string]string{"DOCKER_REPO": "acme", "DOCKER_TAG": "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.StageArgs(), []string{"EXTRA", "PYVER"}; !reflect.DeepEqual(got, want) {
		t.Errorf("StageArgs = %q, want %q", got, want)
	}
	if got, want := info.GlobalArgs, []string{"DOCKER_REPO", "DOCKER_TAG", "PYVER"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GlobalArgs = %q, want %q", got, want)
	}
}
