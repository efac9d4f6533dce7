package inputs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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

// MarshalJSON writes the files as one object, in order.
func (fs Files) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(f.Name)
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
	*fs = FilesOf(m)
	return nil
}
