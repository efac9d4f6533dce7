package lock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFolderInPlaceOfTheLock: a folder where the lock file goes is damaged state, replaced by
// the lock, which then works as ever.
func TestFolderInPlaceOfTheLock(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "lock", "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	release, err := Acquire(context.Background(), dir, "imagemake build", false, nil)
	if err != nil {
		t.Fatalf("Acquire over a folder: %v", err)
	}
	defer release()
	if fi, err := os.Lstat(filepath.Join(dir, "lock")); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the lock is not a file: %v, %v", fi, err)
	}
	if _, err := Acquire(context.Background(), dir, "imagemake plan", false, nil); !errors.Is(err, ErrHeld) {
		t.Fatalf("second acquire: %v, want it held", err)
	}
}
