package inputs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// File is one entry of a manifest: its name in the context and its value (see
// Scanner.Manifest).
type File struct {
	Name, Value string
}

// Files are the entries of a manifest in path order (ComparePaths), names unique. As JSON
// it is an object, name to value, in that order.
type Files []File

// FilesOf makes Files of a map, as a test or a tool would write one.
func FilesOf(m map[string]string) Files {
	out := make(Files, 0, len(m))
	for _, name := range slices.SortedFunc(maps.Keys(m), ComparePaths) {
		out = append(out, File{name, m[name]})
	}
	return out
}

// Get returns the value of name.
func (fs Files) Get(name string) (string, bool) {
	i, ok := slices.BinarySearchFunc(fs, name, func(f File, name string) int { return ComparePaths(f.Name, name) })
	if !ok {
		return "", false
	}
	return fs[i].Value, true
}

// MarshalJSON writes the files as one object, in order. A name that is not UTF-8, which
// JSON cannot hold, is written as the key "\u0000base64:" and its bytes in base64 (a file
// name never holds a NUL byte, so no name reads as one), so that it reads back byte-exact.
func (fs Files) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(jsonName(f.Name))
		value, _ := json.Marshal(f.Value)
		b.Write(name)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of names to values.
func (fs *Files) UnmarshalJSON(data []byte) error {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	exact := make(map[string]string, len(m))
	for k, v := range m {
		name, err := nameOfJSON(k)
		if err != nil {
			return fmt.Errorf("files: %w", err)
		}
		exact[name] = v
	}
	*fs = FilesOf(exact)
	return nil
}

// base64Name is how a JSON key holding a name that is not UTF-8 starts (see MarshalJSON).
const base64Name = "\x00base64:"

// jsonName is name as a JSON key of Files.
func jsonName(name string) string {
	if utf8.ValidString(name) {
		return name
	}
	return base64Name + base64.StdEncoding.EncodeToString([]byte(name))
}

// nameOfJSON reads a key jsonName wrote.
func nameOfJSON(key string) (string, error) {
	enc, ok := strings.CutPrefix(key, base64Name)
	if !ok {
		return key, nil
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("name %q: %w", key, err)
	}
	return string(b), nil
}
