package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/docker/docker/pkg/jsonmessage"
	controlapi "github.com/moby/buildkit/api/services/control"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
)

// Message IDs of the engine's BuildKit build stream.
const (
	traceID   = "moby.buildkit.trace" // aux: base64 of a protobuf controlapi.StatusResponse
	imageIDID = "moby.image.id"       // aux: {"ID": "sha256:..."}
)

var (
	errNoResult     = errors.New("engine stream ended without a result")
	errStreamBroken = errors.New("reading the engine's build stream")
)

// readStream decodes the engine's build stream: progress is rendered as `docker build
// --progress=plain` would print it into out, and the built image's ID is returned.
func readStream(r io.Reader, out io.Writer) (string, error) {
	display, err := progressui.NewDisplay(out, progressui.PlainMode)
	if err != nil {
		return "", err
	}
	statuses := make(chan *bkclient.SolveStatus)
	displayed := make(chan struct{})
	go func() {
		defer close(displayed)
		// The display stops when statuses is closed, so it prints everything it was given.
		_, _ = display.UpdateFrom(context.Background(), statuses)
	}()
	// Plain messages ("Successfully tagged ...") wait for the display to finish, which would
	// otherwise print them before the progress it is still rate-limiting.
	var plain bytes.Buffer
	imageID, err := decodeMessages(json.NewDecoder(r), statuses, &plain)
	close(statuses)
	<-displayed
	_, _ = plain.WriteTo(out)
	return imageID, err
}

func decodeMessages(dec *json.Decoder, statuses chan<- *bkclient.SolveStatus, out io.Writer) (string, error) {
	var imageID string
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("%w: %w", errStreamBroken, err)
		}
		if err := messageError(msg); err != nil {
			return "", err
		}
		switch {
		case msg.ID == traceID && msg.Aux != nil:
			status, err := decodeTrace(*msg.Aux)
			if err != nil {
				return "", err
			}
			statuses <- status
		case msg.ID == imageIDID && msg.Aux != nil:
			var result struct{ ID string }
			if err := json.Unmarshal(*msg.Aux, &result); err != nil {
				return "", fmt.Errorf("decoding the engine's build result: %w", err)
			}
			imageID = result.ID
		case msg.Stream != "":
			_, _ = io.WriteString(out, msg.Stream)
		}
	}
	if imageID == "" {
		return "", errNoResult
	}
	return imageID, nil
}

func messageError(msg jsonmessage.JSONMessage) error {
	if msg.Error != nil && msg.Error.Message != "" {
		return errors.New(msg.Error.Message)
	}
	if msg.ErrorMessage != "" { // deprecated, but the only field some engines set
		return errors.New(msg.ErrorMessage)
	}
	return nil
}

func decodeTrace(aux json.RawMessage) (*bkclient.SolveStatus, error) {
	var data []byte // the JSON string is base64, which encoding/json decodes into []byte
	if err := json.Unmarshal(aux, &data); err != nil {
		return nil, fmt.Errorf("decoding the engine's build progress: %w", err)
	}
	var resp controlapi.StatusResponse
	if err := resp.UnmarshalVT(data); err != nil {
		return nil, fmt.Errorf("decoding the engine's build progress: %w", err)
	}
	return bkclient.NewSolveStatus(&resp), nil
}
