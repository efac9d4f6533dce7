package inputs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuotePath(t *testing.T) {
	for name, want := range map[string]string{
		"src/app.py":      "src/app.py",
		"my file.txt":     "my file.txt",
		"ünïcödé/日本.txt":  "ünïcödé/日本.txt",
		"a\x1b[31mred":    `"a\x1b[31mred"`,
		"line\rover":      `"line\rover"`,
		"tab\there":       `"tab\there"`,
		"del\x7f":         `"del\x7f"`,
		"c1\u0085next":    `"c1\u0085next"`,
		"\u202egnp.exe":   `"\u202egnp.exe"`,
		"caf\xe9":         `"caf\xe9"`,
		`"quoted"`:        `"\"quoted\""`,
		"in\"side":        "in\"side",
		"zero\u200bwidth": `"zero\u200bwidth"`,
	} {
		if got := QuotePath(name); got != want {
			t.Errorf("QuotePath(%q) = %s, want %s", name, got, want)
		}
	}
}

// weirdNames are file names that are no UTF-8 or hold escape sequences.
var weirdNames = []string{"caf\xe9.txt", "dir\xff/x", "esc\x1b[2J", "\u202eevil", "cr\rname"}

func TestInvalidUTF8NamesSurviveTheRecordedManifest(t *testing.T) {
	root := t.TempDir()
	specs := []string{"Dockerfile=FROM scratch\nCOPY . .\n"}
	for _, n := range weirdNames {
		specs = append(specs, n+"=1")
	}
	mkTree(t, root, specs...)
	p := testProject(root)
	img := image("app", ".")
	old := digestOf(t, p, img, nil, nil)
	st := OpenState(root)
	must(t, st.Record(old, true))
	back, err := st.LastSeen("app")
	must(t, err)
	if back == nil || back.ComputeDigest() != old.Digest {
		t.Fatalf("the manifest read back does not give its digest: %v", back)
	}
	for _, n := range weirdNames {
		if _, ok := back.Files().Get(n); !ok {
			t.Errorf("the manifest read back has no %q; it has %q", n, back.Files())
		}
	}

	must(t, os.WriteFile(filepath.Join(root, "caf\xe9.txt"), []byte("2"), 0o644))
	cur := digestOf(t, p, img, nil, nil)
	if got, want := strings.Join(Explain(back, cur), "; "), `file changed: "caf\xe9.txt"`; got != want {
		t.Errorf("reasons %q, want %q", got, want)
	}
	must(t, os.WriteFile(filepath.Join(root, "esc\x1b[2J"), []byte("2"), 0o644))
	cur = digestOf(t, p, img, nil, nil)
	got := strings.Join(Explain(back, cur), "; ")
	if want := `2 files changed: "caf\xe9.txt", "esc\x1b[2J"`; got != want {
		t.Errorf("reasons %q, want %q", got, want)
	}
	if strings.ContainsAny(got, "\x1b\r") {
		t.Errorf("a reason holds a raw escape: %q", got)
	}
}

func TestChangeJSONKeepsTheNameBytes(t *testing.T) {
	for _, c := range []Change{{"file", "caf\xe9/x", "changed"}, {"file", "plain.txt", "added"}, {"build arg", "", "changed"}} {
		data, err := json.Marshal(c)
		must(t, err)
		if strings.Contains(string(data), "name_base64") == (c.Name == "plain.txt" || c.Name == "") {
			t.Errorf("%s: name_base64 only for a name that is not UTF-8", data)
		}
		var back Change
		must(t, json.Unmarshal(data, &back))
		if back != c {
			t.Errorf("%s read back as %+v, want %+v", data, back, c)
		}
	}
	if got := (Change{"file", "esc\x1b", "changed"}).String(); got != `file "esc\x1b" changed` {
		t.Errorf("String() = %q", got)
	}
}

// FuzzFilesJSON: any file name (bytes without NUL) and value read back from the manifest's
// JSON as they were written.
func FuzzFilesJSON(f *testing.F) {
	f.Add("caf\xe9", "f 0644 1 x")
	f.Add("esc\x1b[2J/\u202e", `l 0777 "t\xff"`)
	f.Add("plain/name.txt", "d 0755")
	f.Fuzz(func(t *testing.T, name, value string) {
		if name == "" || strings.Contains(name, "\x00") || !utf8.ValidString(value) {
			t.Skip()
		}
		in := FilesOf(map[string]string{name: value, "other": "d 0755"})
		data, err := json.Marshal(in)
		must(t, err)
		var out Files
		must(t, json.Unmarshal(data, &out))
		if len(out) != len(in) {
			t.Fatalf("%q read back as %q", in, out)
		}
		for i := range in {
			if in[i] != out[i] {
				t.Fatalf("%q read back as %q", in, out)
			}
		}
	})
}
