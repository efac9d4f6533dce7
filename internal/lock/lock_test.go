package lock

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSecondAcquireFailsOrWaits(t *testing.T) {
	dir := t.TempDir()
	release, err := Acquire(context.Background(), dir, "imagemake build", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(context.Background(), dir, "imagemake plan", false, nil)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "imagemake build, since") {
		t.Fatalf("second acquire without waiting: %v", err)
	}
	got := make(chan error)
	var holder string
	go func() {
		r, err := Acquire(context.Background(), dir, "imagemake push", true, func(h string) { holder = h })
		if err == nil {
			r()
		}
		got <- err
	}()
	time.Sleep(300 * time.Millisecond)
	release()
	select {
	case err := <-got:
		if err != nil || !strings.Contains(holder, "imagemake build") {
			t.Fatalf("waiting acquire: %v, told %q", err, holder)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting acquire did not get the lock after release")
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	dir := t.TempDir()
	release, err := Acquire(context.Background(), dir, "a", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx, dir, "b", true, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}
