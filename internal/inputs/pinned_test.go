package inputs

import (
	"slices"
	"testing"
)

func TestPinRoundTrip(t *testing.T) {
	for _, written := range []string{"python:3.12", "reg:5000/py:3 --platform=linux/arm64"} {
		pinned := Pin(written, "sha256:abc")
		if w, d := SplitPinned(pinned); w != written || d != "sha256:abc" {
			t.Errorf("SplitPinned(Pin(%q)) = %q, %q", written, w, d)
		}
	}
	if w, d := SplitPinned("python:3.12 --platform=linux/amd64"); w != "python:3.12 --platform=linux/amd64" || d != "" {
		t.Errorf("an unpinned base split into %q, %q", w, d)
	}
}

func TestBaseReasonsOfABaseMovedUpstream(t *testing.T) {
	a, b := "sha256:"+hex64('a'), "sha256:"+hex64('b')
	cases := []struct {
		name     string
		old, cur []string
		want     []string
	}{
		{"moved", []string{"python:3.12@" + a}, []string{"python:3.12@" + b},
			[]string{"base image python:3.12 changed upstream (sha256:aaaaaaaaaaaa to sha256:bbbbbbbbbbbb)"}},
		{"moved, with a platform, beside another change", []string{"alpine:3", "python:3.12@" + a + " --platform=linux/arm64"},
			[]string{"alpine:3.20", "python:3.12@" + b + " --platform=linux/arm64"},
			[]string{"base image python:3.12 --platform=linux/arm64 changed upstream (sha256:aaaaaaaaaaaa to sha256:bbbbbbbbbbbb)",
				"FROM alpine:3 removed", "FROM alpine:3.20 added"}},
		{"first resolved", []string{"python:3.12"}, []string{"python:3.12@" + b},
			[]string{"FROM python:3.12 changed to python:3.12@" + b}},
		{"another ref", []string{"python:3.12@" + a}, []string{"python:3.13@" + b},
			[]string{"FROM python:3.12@" + a + " changed to python:3.13@" + b}},
	}
	for _, c := range cases {
		if got := baseReasons(c.old, c.cur); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func hex64(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}
