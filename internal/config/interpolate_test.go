package config

import (
	"bytes"
	"io"
	"testing"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/sirupsen/logrus"
)

var interpolateEnv = map[string]string{"SET": "value", "EMPTY": "", "TAG": "1.2", "REG": "registry.example.com"}

var interpolateCases = []struct {
	in, want, err string
}{
	{in: "plain text", want: "plain text"},
	{in: "${SET}", want: "value"},
	{in: "$SET", want: "value"},
	{in: "$SET-suffix", want: "value-suffix"},
	{in: "${UNSET}", want: ""},
	{in: "$UNSET", want: ""},
	{in: "${SET:-d}", want: "value"},
	{in: "${EMPTY:-d}", want: "d"},
	{in: "${UNSET:-d}", want: "d"},
	{in: "${UNSET:-}", want: ""},
	{in: "${SET-d}", want: "value"},
	{in: "${EMPTY-d}", want: ""},
	{in: "${UNSET-d}", want: "d"},
	{in: "${SET:+alt}", want: "alt"},
	{in: "${EMPTY:+alt}", want: ""},
	{in: "${EMPTY+alt}", want: "alt"},
	{in: "${UNSET+alt}", want: ""},
	{in: "${SET:?must be set}", want: "value"},
	{in: "${EMPTY?must be set}", want: ""},
	{in: "${UNSET:?must be set}", err: "required variable UNSET is missing a value: must be set"},
	{in: "${EMPTY:?must be set}", err: "required variable EMPTY is missing a value: must be set"},
	{in: "${UNSET?}", err: "required variable UNSET is missing a value"},
	{in: "${UNSET:?set it, or ${SET}}", err: "required variable UNSET is missing a value: set it, or value"},
	{in: "$$", want: "$"},
	{in: "$${SET}", want: "${SET}"},
	{in: "$$SET and $SET", want: "$SET and value"},
	{in: "costs 5$", want: "costs 5$"},
	{in: "${UNSET:-${SET}}", want: "value"},
	{in: "${UNSET:-${ALSO_UNSET:-deep}}", want: "deep"},
	{in: "${REG:-docker.io}/app:${TAG}", want: "registry.example.com/app:1.2"},
	{in: "${UNSET:-docker.io}/app:${UNSET2:-latest}-$SET", want: "docker.io/app:latest-value"},
	{in: "${UNSET:-a}${UNSET:?second}", err: "required variable UNSET is missing a value: second"},
	{in: "${", err: `invalid interpolation in "${" (write $$ for a literal $)`},
	{in: "${SET:-x} ${", err: `invalid interpolation in "${SET:-x} ${" (write $$ for a literal $)`},
	{in: "${1BAD}", err: `invalid interpolation in "${1BAD}" (write $$ for a literal $)`},
	{in: "${SET:x}", err: `invalid interpolation in "${SET:x}" (write $$ for a literal $)`},
}

func TestInterpolate(t *testing.T) {
	for _, tc := range interpolateCases {
		got, err := Interpolate(tc.in, interpolateEnv)
		switch {
		case tc.err != "" && (err == nil || interpolationMessage(err) != tc.err):
			t.Errorf("Interpolate(%q) error = %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("Interpolate(%q) error = %v", tc.in, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("Interpolate(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func composeLookup(name string) (string, bool) {
	v, ok := interpolateEnv[name]
	return v, ok
}

// Interpolate reimplements the modifiers only to stay silent; it must agree with compose-go.
func TestInterpolateMatchesCompose(t *testing.T) {
	logrus.SetOutput(io.Discard)
	defer logrus.SetOutput(io.Discard)
	for _, tc := range interpolateCases {
		assertSameAsCompose(t, tc.in)
	}
}

func assertSameAsCompose(t *testing.T, in string) {
	t.Helper()
	want, wantErr := template.Substitute(in, composeLookup)
	got, err := Interpolate(in, interpolateEnv)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("Interpolate(%q) error = %v; compose-go says %v", in, err, wantErr)
	}
	if err == nil && got != want {
		t.Fatalf("Interpolate(%q) = %q; compose-go says %q", in, got, want)
	}
}

func TestInterpolateIsSilent(t *testing.T) {
	var logs bytes.Buffer
	logrus.SetOutput(&logs)
	defer logrus.SetOutput(io.Discard)
	if _, err := Interpolate("${UNSET:-x}/${ALSO_UNSET} ${A:-$B}", nil); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Errorf("Interpolate logged: %s", logs.String())
	}
	// The reason Interpolate exists: compose-go logs here.
	_, _ = template.Substitute("${ALSO_UNSET}", func(string) (string, bool) { return "", false })
	if logs.Len() == 0 {
		t.Log("compose-go no longer logs unset variables; Interpolate could call template.Substitute")
	}
}

func FuzzInterpolate(f *testing.F) {
	for _, tc := range interpolateCases {
		f.Add(tc.in)
	}
	logrus.SetOutput(io.Discard)
	f.Fuzz(func(t *testing.T, in string) {
		assertSameAsCompose(t, in)
	})
}
