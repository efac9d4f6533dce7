package dockerfile

import (
	"reflect"
	"strings"
	"testing"
)

// ref is a short Ref constructor for the tables.
func ref(kind, image string, line, stage int) Ref {
	return Ref{Ref: image, Kind: kind, Line: line, Stage: stage}
}

const (
	F = KindFrom
	C = KindCopy
	M = KindMount
)

var digest = "sha256:" + strings.Repeat("a", 64)

var refTests = []struct {
	name string
	src  string
	args map[string]string
	want []Ref
}{
	{"single FROM", "FROM alpine:3.19\n", nil, []Ref{ref(F, "alpine:3.19", 1, 0)}},
	{"digest kept", "FROM alpine@" + digest + "\n", nil, []Ref{ref(F, "alpine@"+digest, 1, 0)}},
	{"quotes removed", `FROM "alpine"` + "\n", nil, []Ref{ref(F, "alpine", 1, 0)}},
	{"scratch is no image", "FROM scratch\nCOPY a /a\n", nil, nil},

	// Global ARGs and build args.
	{"ARG default", "ARG BASE=acme/pybase:dev\nFROM ${BASE}\n", nil, []Ref{ref(F, "acme/pybase:dev", 2, 0)}},
	{"ARG plain $VAR", "ARG TAG=1\nFROM acme/x:$TAG\n", nil, []Ref{ref(F, "acme/x:1", 2, 0)}},
	{"arg overrides default", "ARG BASE=acme/pybase:dev\nFROM ${BASE}\n",
		map[string]string{"BASE": "acme/pybase:ci"}, []Ref{ref(F, "acme/pybase:ci", 2, 0)}},
	{"arg fills ARG without default", "ARG TAG\nFROM acme/x:${TAG}\n",
		map[string]string{"TAG": "abc"}, []Ref{ref(F, "acme/x:abc", 2, 0)}},
	{"undeclared arg ignored", "FROM acme/x:${TAG:-dev}\n",
		map[string]string{"TAG": "abc"}, []Ref{ref(F, "acme/x:dev", 1, 0)}},
	{"stage ARG does not reach FROM", "ARG TAG=1\nFROM alpine AS a\nARG TAG=2\nFROM acme/x:${TAG}\n", nil,
		[]Ref{ref(F, "alpine", 2, 0), ref(F, "acme/x:1", 4, 1)}},
	{"ARG default uses earlier ARG", "ARG REG=registry.example.com\nARG IMG=$REG/acme/x:1\nFROM $IMG\n", nil,
		[]Ref{ref(F, "registry.example.com/acme/x:1", 3, 0)}},
	{"arg overrides the ARG another uses", "ARG REG=a.io\nARG IMG=$REG/x\nFROM $IMG\n",
		map[string]string{"REG": "b.io"}, []Ref{ref(F, "b.io/x", 3, 0)}},
	{"multi ARG line", "ARG A=x B=y\nFROM $A/$B\n", nil, []Ref{ref(F, "x/y", 2, 0)}},
	{"redeclared ARG keeps value", "ARG T=1\nARG T\nFROM acme/x:$T\n", nil, []Ref{ref(F, "acme/x:1", 3, 0)}},
	{"imagemake implicit args", "ARG DOCKER_REPO=acme\nARG DOCKER_TAG=development\nFROM ${DOCKER_REPO}/pybase:${DOCKER_TAG}\n",
		map[string]string{"DOCKER_REPO": "reg.io/acme", "DOCKER_TAG": "3f2a1bc"},
		[]Ref{ref(F, "reg.io/acme/pybase:3f2a1bc", 3, 0)}},

	// Substitution forms.
	{":- on unset", "ARG TAG\nFROM acme/x:${TAG:-dev}\n", nil, []Ref{ref(F, "acme/x:dev", 2, 0)}},
	{":- on empty", "ARG TAG=\nFROM acme/x:${TAG:-dev}\n", nil, []Ref{ref(F, "acme/x:dev", 2, 0)}},
	{"- on empty keeps empty", "ARG SUF=\nFROM acme/x${SUF-:bad}\n", nil, []Ref{ref(F, "acme/x", 2, 0)}},
	{"- on unset", "FROM acme/x${SUF-:1}\n", nil, []Ref{ref(F, "acme/x:1", 1, 0)}},
	{":+ on set", "ARG DEBUG=1\nFROM acme/x${DEBUG:+-debug}\n", nil, []Ref{ref(F, "acme/x-debug", 2, 0)}},
	{":+ on unset", "ARG DEBUG\nFROM acme/x${DEBUG:+-debug}\n", nil, []Ref{ref(F, "acme/x", 2, 0)}},
	{"unset expands to nothing", "FROM acme/x${SUFFIX}\n", nil, []Ref{ref(F, "acme/x", 1, 0)}},

	// Automatic platform args.
	{"TARGETARCH default amd64", "FROM acme/base-${TARGETARCH}\n", nil, []Ref{ref(F, "acme/base-amd64", 1, 0)}},
	{"TARGETOS and variant", "FROM acme/${TARGETOS}-${TARGETARCH}${TARGETVARIANT}\n", nil,
		[]Ref{ref(F, "acme/linux-amd64", 1, 0)}},
	{"BUILDARCH", "FROM acme/tools-${BUILDARCH}\n", nil, []Ref{ref(F, "acme/tools-amd64", 1, 0)}},
	{"platform arg replaced by a build arg", "FROM acme/base-${TARGETARCH}\n",
		map[string]string{"TARGETARCH": "arm64"}, []Ref{ref(F, "acme/base-arm64", 1, 0)}},
	{"ARG TARGETARCH keeps automatic value", "ARG TARGETARCH\nFROM acme/base-${TARGETARCH}\n", nil,
		[]Ref{ref(F, "acme/base-amd64", 2, 0)}},
	{"TARGETSTAGE is the last stage", "FROM alpine AS a\nFROM acme/${TARGETSTAGE} AS final\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(F, "acme/final", 2, 1)}},
	{"TARGETSTAGE default", "FROM alpine\nFROM acme/${TARGETSTAGE}\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(F, "acme/default", 2, 1)}},

	// Stages.
	{"FROM earlier stage", "FROM golang:1.22 AS build\nFROM build\n", nil, []Ref{ref(F, "golang:1.22", 1, 0)}},
	{"FROM stage case-insensitive", "FROM golang:1.22 AS Build\nFROM BUILD AS b2\nFROM bUiLd\n", nil,
		[]Ref{ref(F, "golang:1.22", 1, 0)}},
	{"FROM stage via ARG", "ARG S=build\nFROM alpine AS build\nFROM ${S}\n", nil, []Ref{ref(F, "alpine", 2, 0)}},
	{"FROM own name is an image", "FROM base AS base\n", nil, []Ref{ref(F, "base", 1, 0)}},
	{"FROM later stage is an image", "FROM later\nFROM alpine AS later\n", nil,
		[]Ref{ref(F, "later", 1, 0), ref(F, "alpine", 2, 1)}},
	{"FROM --platform AS", "FROM --platform=linux/arm64 alpine AS a\nFROM a\n", nil,
		[]Ref{{Ref: "alpine", Kind: F, Line: 1, Platform: "linux/arm64"}}},

	// COPY --from.
	{"COPY --from stage, index, image", `FROM golang AS build
FROM alpine
COPY --from=build /out /out
COPY --from=0 /a /a
COPY --from=nginx:1.25 /etc/nginx /etc/nginx
COPY --link --from=acme/tools:2 /bin/t /bin/t
COPY --chown=1:1 --from=BUILD /b /b
`, nil, []Ref{ref(F, "golang", 1, 0), ref(F, "alpine", 2, 1), ref(C, "nginx:1.25", 5, 1), ref(C, "acme/tools:2", 6, 1)}},
	{"COPY --from later stage", "FROM alpine AS a\nCOPY --from=b /x /x\nFROM busybox AS b\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(F, "busybox", 3, 1)}},
	{"COPY --from scratch", "FROM alpine\nCOPY --from=scratch / /\n", nil, []Ref{ref(F, "alpine", 1, 0)}},
	{"COPY --from quoted", "FROM alpine\nCOPY --from=\"acme/x\" / /\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(C, "acme/x", 2, 0)}},
	{"COPY --from digest", "FROM alpine\nCOPY --from=acme/x@" + digest + " / /\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(C, "acme/x@"+digest, 2, 0)}},
	{"ADD has no --from", "FROM alpine\nADD https://example.com/a.tgz /a\n", nil, []Ref{ref(F, "alpine", 1, 0)}},

	// RUN --mount from=.
	{"RUN mounts", `FROM alpine AS deps
FROM python:3.12
RUN --mount=type=bind,from=acme/wheels:1,source=/w,target=/w \
    --mount=type=cache,target=/root/.cache,from=deps \
    --mount=target=/src,from=acme/src,type=bind,ro \
    --mount=type=cache,target=/c \
    --mount=type=secret,id=token \
    pip install /w/*.whl
`, nil, []Ref{ref(F, "alpine", 1, 0), ref(F, "python:3.12", 2, 1), ref(M, "acme/wheels:1", 3, 1), ref(M, "acme/src", 3, 1)}},
	{"RUN mount from scratch and stage case", "FROM alpine AS Deps\nRUN --mount=from=scratch,target=/x --mount=from=DEPS,target=/y true\n", nil,
		[]Ref{ref(F, "alpine", 1, 0)}},
	{"RUN mount from a number is an image", "FROM alpine\nRUN --mount=from=0,target=/x true\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(M, "0", 2, 0)}},
	{"RUN mount FROM key upper case", "FROM alpine\nRUN --mount=type=bind,FROM=acme/x,target=/x true\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(M, "acme/x", 2, 0)}},
	{"RUN exec form with mount", "FROM alpine\nRUN --mount=from=acme/x,target=/x [\"true\"]\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(M, "acme/x", 2, 0)}},

	// Ordering, ONBUILD, syntax.
	{"duplicates kept", "FROM alpine AS a\nFROM alpine AS b\nCOPY --from=alpine / /\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(F, "alpine", 2, 1), ref(C, "alpine", 3, 1)}},
	{"ONBUILD ignored", "FROM alpine\nONBUILD COPY --from=acme/x / /\nONBUILD RUN --mount=from=acme/y,target=/y true\n", nil,
		[]Ref{ref(F, "alpine", 1, 0)}},
	{"RUN heredoc", `FROM alpine
RUN <<EOF
FROM notanimage
COPY --from=acme/bad / /
EOF
COPY --from=acme/good / /
`, nil, []Ref{ref(F, "alpine", 1, 0), ref(C, "acme/good", 6, 0)}},
	{"COPY heredoc and mount with heredoc", `FROM alpine
COPY <<EOF /etc/x
FROM nope
EOF
RUN --mount=from=acme/m,target=/m <<-SCRIPT
	COPY --from=nope
	SCRIPT
FROM debian
`, nil, []Ref{ref(F, "alpine", 1, 0), ref(M, "acme/m", 5, 0), ref(F, "debian", 8, 1)}},
	{"comments and continuations", `# a comment
FROM \
  # inside
  alpine:3.19 \
  AS base

# another
FROM base
COPY \
  --from=acme/x:1 \
  /a /b
`, nil, []Ref{ref(F, "alpine:3.19", 2, 0), ref(C, "acme/x:1", 9, 1)}},
	{"syntax directive", "# syntax=docker/dockerfile:1.7\nFROM alpine\n", nil, []Ref{ref(F, "alpine", 2, 0)}},
	{"syntax and check directives", "# syntax=docker/dockerfile:1\n# check=skip=all\n\nFROM alpine\n", nil,
		[]Ref{ref(F, "alpine", 4, 0)}},
	{"escape directive backtick", "# escape=`\nFROM alpine\nRUN dir c:\\ `\n  && echo\nCOPY --from=acme/w:1 c:\\a c:\\b\n", nil,
		[]Ref{ref(F, "alpine", 2, 0), ref(C, "acme/w:1", 5, 0)}},
	{"escape directive continues FROM", "# escape=`\nARG T=1\nFROM acme/x:$T `\n  AS a\nCOPY --from=A c:\\ c:\\\n", nil,
		[]Ref{ref(F, "acme/x:1", 3, 0)}},
	{"lower-case instructions", "from alpine as a\ncopy --from=acme/x / /\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(C, "acme/x", 2, 0)}},
	{"CRLF line endings", "FROM alpine AS a\r\nCOPY --from=acme/x / /\r\n", nil,
		[]Ref{ref(F, "alpine", 1, 0), ref(C, "acme/x", 2, 0)}},
}

func TestParseRefs(t *testing.T) {
	for _, tt := range refTests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Parse([]byte(tt.src), tt.args)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(info.Refs, tt.want) {
				t.Errorf("Refs\n got  %+v\n want %+v", info.Refs, tt.want)
			}
		})
	}
}

func TestParseInfo(t *testing.T) {
	src := `ARG BASE=alpine
ARG TAG
ARG BASE
FROM ${BASE} AS Build
ARG INNER=1
FROM build
FROM --platform=$BUILDPLATFORM golang AS tools
`
	info, err := Parse([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"BASE", "TAG"}; !reflect.DeepEqual(info.GlobalArgs, want) {
		t.Errorf("GlobalArgs = %q, want %q", info.GlobalArgs, want)
	}
	if want := []string{"build", "", "tools"}; !reflect.DeepEqual(info.Stages, want) {
		t.Errorf("Stages = %q, want %q", info.Stages, want)
	}
	if info.Target != 2 {
		t.Errorf("Target = %d, want 2", info.Target)
	}
	if got := info.Refs[1].Platform; got != "linux/amd64" {
		t.Errorf("Platform = %q, want linux/amd64", got)
	}
}

func TestParseOptionsPlatform(t *testing.T) {
	src := "FROM --platform=$TARGETPLATFORM acme/base-${TARGETARCH}${TARGETVARIANT}\n"
	tests := []struct {
		platform, ref, refPlatform string
	}{
		{"", "acme/base-amd64", "linux/amd64"},
		{"linux/arm64", "acme/base-arm64", "linux/arm64"},
		{"linux/arm/v7", "acme/base-armv7", "linux/arm/v7"},
		{"linux/aarch64", "acme/base-arm64", "linux/arm64"},
	}
	for _, tt := range tests {
		info, err := ParseOptions([]byte(src), Options{Platform: tt.platform})
		if err != nil {
			t.Fatalf("%q: %v", tt.platform, err)
		}
		got := info.Refs[0]
		if got.Ref != tt.ref || got.Platform != tt.refPlatform {
			t.Errorf("%q: got %s on %s, want %s on %s", tt.platform, got.Ref, got.Platform, tt.ref, tt.refPlatform)
		}
	}
}

func TestTargetRefs(t *testing.T) {
	src := `FROM golang:1.22 AS build
RUN --mount=from=acme/cache,target=/c true
FROM acme/pybase:dev AS dev
COPY --from=build /out /out
FROM alpine AS tools
FROM debian AS runtime
COPY --from=build /out /out
COPY --from=1 /x /x
COPY --from=acme/assets:1 / /
`
	tests := []struct {
		target string
		want   []string
	}{
		{"", []string{"golang:1.22", "acme/cache", "acme/pybase:dev", "debian", "acme/assets:1"}},
		{"runtime", []string{"golang:1.22", "acme/cache", "acme/pybase:dev", "debian", "acme/assets:1"}},
		{"DEV", []string{"golang:1.22", "acme/cache", "acme/pybase:dev"}},
		{"tools", []string{"alpine"}},
		{"build", []string{"golang:1.22", "acme/cache"}},
	}
	for _, tt := range tests {
		info, err := ParseOptions([]byte(src), Options{Target: tt.target})
		if err != nil {
			t.Fatalf("target %q: %v", tt.target, err)
		}
		if len(info.Refs) != 6 {
			t.Errorf("target %q: Refs has %d, want all 6", tt.target, len(info.Refs))
		}
		var got []string
		for _, r := range info.TargetRefs() {
			got = append(got, r.Ref)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("target %q: TargetRefs = %q, want %q", tt.target, got, tt.want)
		}
	}
}

func TestTargetRefsCycle(t *testing.T) {
	src := "FROM alpine AS a\nCOPY --from=b / /\nFROM debian AS b\nCOPY --from=a / /\n"
	info, err := ParseOptions([]byte(src), Options{Target: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(info.TargetRefs()); got != 2 {
		t.Errorf("TargetRefs has %d refs, want 2", got)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alpine", "docker.io/library/alpine:latest"},
		{"alpine:3.19", "docker.io/library/alpine:3.19"},
		{"acme/pybase:dev", "docker.io/acme/pybase:dev"},
		{"registry.example.com/edge/openresty", "registry.example.com/edge/openresty:latest"},
		{"localhost:5000/x", "localhost:5000/x:latest"},
		{"alpine@" + digest, "docker.io/library/alpine@" + digest},
		{"alpine:3@" + digest, "docker.io/library/alpine:3@" + digest},
		{"docker.io/library/alpine:latest", "docker.io/library/alpine:latest"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "Alpine", "a b", "alpine@sha256:short", "-x"} {
		if _, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q): no error", bad)
		}
	}
}
