package dockerfile

import (
	"errors"
	"testing"
)

// FuzzParse checks that no input panics, that every failure is an *Error and
// that every success keeps the invariants callers rely on.
func FuzzParse(f *testing.F) {
	for _, tt := range refTests {
		f.Add([]byte(tt.src), "BASE", "acme/x:1", "")
	}
	f.Add([]byte("ARG B\nFROM ${B:?x}\nCOPY --from=$B / /\n"), "B", "", "b")
	f.Add([]byte("# escape=`\nFROM a `\n AS b\nRUN --mount=from=c,target=/ <<E\nx\nE\n"), "TARGETARCH", "arm64", "b")
	f.Fuzz(func(t *testing.T, src []byte, key, value, target string) {
		info, err := ParseOptions(src, Options{Args: map[string]string{key: value}, Target: target})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			return
		}
		checkInfo(t, info)
	})
}

func checkInfo(t *testing.T, info *Info) {
	if len(info.Stages) == 0 || info.Target < 0 || info.Target >= len(info.Stages) {
		t.Fatalf("stages %q, target %d", info.Stages, info.Target)
	}
	for _, r := range info.Refs {
		if r.Stage < 0 || r.Stage >= len(info.Stages) || r.Line < 1 {
			t.Fatalf("ref %+v out of range", r)
		}
		if _, err := Normalize(r.Ref); err != nil {
			t.Fatalf("ref %+v does not normalise: %v", r, err)
		}
	}
	info.TargetRefs()
}
