package docker

import (
	"bytes"
	"sync"
)

// lineWriter hands complete lines to a callback: writers (the progress display, the engine's
// plain stream messages) write fragments, the callback never sees half a line.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string)
}

func newLineWriter(emit func(string)) *lineWriter {
	if emit == nil {
		emit = func(string) {}
	}
	return &lineWriter{emit: emit}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(string(bytes.TrimSuffix(w.buf[:i], []byte("\r"))))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

// Flush hands over what is left of an unterminated last line.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(bytes.TrimSuffix(w.buf, []byte("\r"))))
		w.buf = nil
	}
}
