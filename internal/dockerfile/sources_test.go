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
	{"builder's platform is the target", "FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH /b\n",
		Options{BuildPlatform: "linux/arm64"}, []string{"bin/arm64"}, ""},
	{"builder's platform, image's platform", "FROM scratch\nARG TARGETARCH BUILDARCH\nCOPY bin/$TARGETARCH tools/$BUILDARCH /b\n",
		Options{BuildPlatform: "linux/arm64", Platform: "linux/amd64"}, []string{"bin/amd64", "tools/arm64"}, ""},
	{"build platform guessed without the builder's", "FROM scratch\nARG BUILDOS\nCOPY tools/$BUILDOS /b\n",
		Options{Platform: "linux/arm64"}, nil, "$BUILDOS is not known before the build"},
	{"variant from the builder's platform", "FROM scratch\nARG TARGETVARIANT\nCOPY bin/$TARGETVARIANT /b\n",
		Options{BuildPlatform: "linux/arm/v7"}, []string{"bin/v7"}, ""},
	{"every platform of a multi-platform build", "FROM scratch\nARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox\nCOPY etc /etc\n",
		Options{Platforms: []string{"linux/amd64", "linux/arm64"}}, []string{"busybox-amd64", "busybox-arm64", "etc"}, ""},
	{"a stage one platform needs", "FROM scratch AS amd64\nCOPY a /a\nFROM scratch AS arm64\nCOPY b /b\nFROM ${TARGETARCH}\n",
		Options{Platforms: []string{"linux/amd64", "linux/arm64"}}, []string{"a", "b"}, ""},
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

func TestPlatformsMergeRefs(t *testing.T) {
	src := "ARG TARGETARCH\nFROM example.com/base-${TARGETARCH}:1\nCOPY x /x\n"
	info, err := ParseOptions([]byte(src), Options{Platforms: []string{"linux/amd64", "linux/arm64", "linux/amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, r := range info.Refs {
		refs = append(refs, r.Ref)
	}
	if want := []string{"example.com/base-amd64:1", "example.com/base-arm64:1"}; !reflect.DeepEqual(refs, want) {
		t.Errorf("refs = %q, want %q", refs, want)
	}
}

func TestPlatformsBadOne(t *testing.T) {
	_, err := ParseOptions([]byte("FROM scratch\n"), Options{Platforms: []string{"linux/amd64", "linux/"}})
	if err == nil || !strings.Contains(err.Error(), `platform "linux/"`) {
		t.Errorf("err = %v, want one naming the bad platform", err)
	}
}

func TestPlatformDependent(t *testing.T) {
	for _, tt := range []struct {
		src  string
		opts Options
		want bool
	}{
		{"FROM scratch\nCOPY a /a\n", Options{}, false},
		{"FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH /b\n", Options{}, true},
		{"FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH /b\n", Options{Platform: "linux/arm64"}, false},
		{"FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH /b\n", Options{BuildPlatform: "linux/arm64"}, false},
		{"FROM scratch\nARG BUILDARCH\nCOPY tools/$BUILDARCH /b\n", Options{Platform: "linux/arm64"}, true},
		{"FROM example.com/base-${TARGETARCH}\n", Options{}, true},
		{"FROM --platform=$BUILDPLATFORM alpine AS b\nFROM scratch\nCOPY --from=b / /\n", Options{}, true},
		{"FROM --platform=$BUILDPLATFORM alpine AS b\nFROM scratch\nCOPY --from=b / /\n", Options{BuildPlatform: "linux/amd64"}, false},
		{"FROM scratch\nARG TARGETARCH\nRUN echo $TARGETARCH\n", Options{}, false}, // a RUN step is not read here
		{"FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH /b\n", Options{Platforms: []string{"linux/amd64", "linux/arm64"}}, false},
	} {
		info, err := ParseOptions([]byte(tt.src), tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.PlatformDependent(); got != tt.want {
			t.Errorf("%q %+v: PlatformDependent = %v, want %v", tt.src, tt.opts, got, tt.want)
		}
	}
}
