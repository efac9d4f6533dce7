package buildkit

import (
	"bytes"
	"context"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
)

// showProgress writes the daemon's status stream as `docker build --progress=plain` does (raw:
// as --progress=rawjson does), one line per logs call, until the stream ends.
func showProgress(status chan *client.SolveStatus, logs func(string), raw bool) error {
	w := &lineWriter{logs: logs}
	defer w.flush()
	mode := progressui.PlainMode
	if raw {
		mode = progressui.RawJSONMode
	}
	d, err := progressui.NewDisplay(w, mode)
	if err != nil {
		for range status { // keep the solve going
		}
		return err
	}
	_, err = d.UpdateFrom(context.Background(), status)
	return err
}

// lineWriter splits what is written into lines, without their newline.
type lineWriter struct {
	logs func(string)
	buf  []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.logs(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.logs(string(w.buf))
		w.buf = nil
	}
}
