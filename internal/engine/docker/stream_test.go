package docker

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	controlapi "github.com/moby/buildkit/api/services/control"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// traceMessage is a stream message as the engine sends BuildKit progress.
func traceMessage(t *testing.T, resp *controlapi.StatusResponse) string {
	t.Helper()
	data, err := resp.MarshalVT()
	if err != nil {
		t.Fatal(err)
	}
	aux, _ := json.Marshal(data) // []byte marshals as a base64 string, as the engine sends it
	return `{"id":"moby.buildkit.trace","aux":` + string(aux) + "}\n"
}

func TestReadStream(t *testing.T) {
	start := time.Now()
	vertex := &controlapi.Vertex{Digest: "sha256:aa", Name: "[2/2] RUN echo hi", Started: timestamppb.New(start)}
	done := &controlapi.Vertex{Digest: "sha256:aa", Name: vertex.Name, Started: vertex.Started,
		Completed: timestamppb.New(start.Add(200 * time.Millisecond))}
	progress := traceMessage(t, &controlapi.StatusResponse{Vertexes: []*controlapi.Vertex{vertex}}) +
		traceMessage(t, &controlapi.StatusResponse{Logs: []*controlapi.VertexLog{{
			Vertex: "sha256:aa", Timestamp: timestamppb.New(start.Add(100 * time.Millisecond)), Stream: 1, Msg: []byte("hi\n"),
		}}}) +
		traceMessage(t, &controlapi.StatusResponse{Vertexes: []*controlapi.Vertex{done}})
	imageID := `{"id":"moby.image.id","aux":{"ID":"sha256:1234"}}` + "\n"
	tagged := `{"stream":"Successfully tagged acme/x:latest\n"}` + "\n"
	failed := `{"errorDetail":{"message":"exit code: 3"},"error":"exit code: 3"}` + "\n"

	tests := []struct {
		name, stream string
		wantID       string
		wantErr      string
		wantLines    []string
	}{
		{name: "success", stream: progress + imageID + tagged, wantID: "sha256:1234",
			wantLines: []string{"#1 [2/2] RUN echo hi", "#1 0.100 hi", "#1 DONE 0.2s", "Successfully tagged acme/x:latest"}},
		{name: "failure", stream: progress + failed, wantErr: "exit code: 3", wantLines: []string{"#1 0.100 hi"}},
		{name: "no result", stream: progress, wantErr: errNoResult.Error()},
		{name: "torn stream", stream: progress[:40], wantErr: "reading the engine's build stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []string
			out := newLineWriter(func(line string) { lines = append(lines, line) })
			id, err := readStream(strings.NewReader(tt.stream), out)
			out.Flush()
			if id != tt.wantID || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("readStream = %q, %v; want %q, error %q", id, err, tt.wantID, tt.wantErr)
			}
			text := strings.Join(lines, "\n")
			for _, want := range tt.wantLines {
				if !strings.Contains(text, want) {
					t.Errorf("no line %q in:\n%s", want, text)
				}
			}
		})
	}
}

func TestReadStreamErrNoResult(t *testing.T) {
	_, err := readStream(strings.NewReader(""), newLineWriter(nil))
	if !errors.Is(err, errNoResult) {
		t.Fatalf("empty stream: %v, want errNoResult", err)
	}
}

func TestLineWriter(t *testing.T) {
	var lines []string
	w := newLineWriter(func(line string) { lines = append(lines, line) })
	for _, chunk := range []string{"a\nb", "c\r\n", "", "\n", "d"} {
		_, _ = w.Write([]byte(chunk))
	}
	if got := strings.Join(lines, "|"); got != "a|bc|" {
		t.Fatalf("lines before Flush = %q", got)
	}
	w.Flush()
	w.Flush()
	if got := strings.Join(lines, "|"); got != "a|bc||d" {
		t.Fatalf("lines after Flush = %q", got)
	}
}
