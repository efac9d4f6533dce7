package dockerfile

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts Options
		line int
		want string
	}{
		{"empty file", "", Options{}, 0, "no instructions"},
		{"NUL byte", "FROM alpine\nRUN \x00\n", Options{}, 2, "not a text file: NUL byte"},
		{"invalid UTF-8", "FROM alpine\n\nRUN \xff\xfe\n", Options{}, 3, "not a text file: invalid UTF-8"},
		{"only comments", "# nothing\n", Options{}, 1, "no instructions"},
		{"only ARG", "ARG A=1\n", Options{}, 0, "no FROM"},
		{"unknown instruction", "FROM alpine\nFORM x\n", Options{}, 2, "unknown instruction"},
		{"FROM without image", "FROM alpine\n\nFROM\n", Options{}, 3, "FROM requires"},
		{"bad stage name", "FROM alpine AS 1x\n", Options{}, 1, "invalid name for build stage"},
		{"instruction before FROM", "ARG A\nRUN true\nFROM alpine\n", Options{}, 2, "only ARG may come before the first FROM"},
		{"unterminated heredoc", "FROM alpine\nRUN <<EOF\nabc\n", Options{}, 2, "heredoc"},
		{"declared ARG unset", "ARG X=1\nARG BASE\nFROM ${BASE}\n", Options{}, 3,
			"FROM ${BASE} expands to nothing; set the build arg BASE"},
		{"declared ARG empty default", "ARG BASE=\nFROM $BASE\n", Options{}, 2,
			"FROM $BASE expands to nothing; set the build arg BASE"},
		{"arg not declared", "FROM ${BASE}\n", Options{Args: map[string]string{"BASE": "alpine"}}, 1,
			"FROM ${BASE} expands to nothing; declare ARG BASE before the first FROM and set it"},
		{"stage ARG not global", "FROM alpine\nARG BASE=x\nFROM ${BASE}\n", Options{}, 3,
			"declare ARG BASE before the first FROM"},
		{"two empty", "ARG A\nFROM ${A}${B}\n", Options{}, 2,
			"set the build arg A, declare ARG B before the first FROM"},
		{"required var", "ARG BASE\nFROM ${BASE:?base-image-needed}\n", Options{}, 2, "base-image-needed"},
		{"bad substitution in ARG", "ARG A=${\nFROM alpine\n", Options{}, 1, "ARG A"},
		{"invalid reference", "FROM Alpine\n", Options{}, 1, "FROM Alpine: not a valid image reference"},
		{"invalid after expansion", "ARG B=acme/X\nFROM ${B}:1\n", Options{}, 2,
			`FROM ${B}:1 (expands to "acme/X:1"): not a valid image reference`},
		{"invalid arg value", "ARG T\nFROM alpine:${T}\n", Options{Args: map[string]string{"T": "a b"}}, 2,
			"not a valid image reference"},
		{"COPY --from variable", "ARG X=a\nFROM alpine\nCOPY --from=$X / /\n", Options{}, 3,
			"variable expansion is not supported for --from"},
		{"COPY --from bad index", "FROM alpine\nCOPY --from=1 / /\n", Options{}, 2, "invalid stage index 1"},
		{"COPY --from negative index", "FROM alpine\nCOPY --from=-1 / /\n", Options{}, 2, "invalid stage index -1"},
		{"COPY --from invalid ref", "FROM alpine\n\nCOPY --from=acme/X / /\n", Options{}, 3,
			"COPY --from=acme/X: not a valid image reference"},
		{"mount from variable", "ARG X=a\nFROM alpine\nRUN --mount=from=${X},target=/x true\n", Options{}, 3,
			"variable expansion"},
		{"mount from invalid ref", "FROM alpine\nRUN --mount=from=Up,target=/x true\n", Options{}, 2,
			"RUN --mount from=Up: not a valid image reference"},
		{"empty platform", "ARG P=\nFROM --platform=$P alpine\n", Options{}, 2, "FROM --platform=$P expands to nothing"},
		{"bad platform", "FROM --platform=nope/x/y/z alpine\n", Options{}, 1, "FROM --platform=nope/x/y/z"},
		{"unknown FROM flag", "FROM --plat=x alpine\n", Options{}, 1, "unknown flag"},
		{"unknown target", "FROM alpine AS a\n", Options{Target: "b"}, 0, `target stage "b" not found`},
		{"bad option platform", "FROM alpine\n", Options{Platform: "not a/platform!"}, 0, "platform"},
		{"bad escape directive", "# escape=x\nFROM alpine\n", Options{}, 0, "escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOptions([]byte(tt.src), tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if e.Line != tt.line {
				t.Errorf("Line = %d, want %d (%v)", e.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Parse([]byte("ARG BASE\nARG X=1\nFROM ${BASE}\n"), nil)
	want := "line 3: FROM ${BASE} expands to nothing; set the build arg BASE"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}
