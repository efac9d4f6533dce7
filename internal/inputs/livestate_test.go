package inputs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStateKeep: a kept state answers Load from the manifest last recorded or loaded per image,
// without its file; a state that does not keep reads the file.
func TestStateKeep(t *testing.T) {
	root := t.TempDir()
	kept, plain := OpenState(root).Keep(), OpenState(root)
	m := manifest("api", 1)
	must(t, kept.Record(m, true))
	other := manifest("api", 2)
	must(t, plain.Record(other, false))
	must(t, os.RemoveAll(filepath.Join(root, StateDir)))
	if got, err := kept.Load("api", m.Digest); err != nil || got != m {
		t.Errorf("kept state: Load gave %v, %v; want the recorded manifest", got, err)
	}
	if got, _ := kept.Load("api", other.Digest); got != nil {
		t.Errorf("kept state: Load of a digest it does not keep, its file gone: %v", got.Digest)
	}
	if got, _ := plain.Load("api", m.Digest); got != nil {
		t.Errorf("a state that does not keep answered without the file: %v", got.Digest)
	}
}
