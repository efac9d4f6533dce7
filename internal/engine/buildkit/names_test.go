package buildkit

import (
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/schedule"
)

func TestSendableRefusesNamesThatAreNotUTF8(t *testing.T) {
	ok := []inputs.Entry{{Name: "Dockerfile"}, {Name: "café/naïve.txt"}}
	bad := []inputs.Entry{{Name: "Dockerfile"}, {Name: "a\xffb.txt"}}
	if err := sendable(schedule.Request{Context: ok}); err != nil {
		t.Errorf("UTF-8 names: %v", err)
	}
	err := sendable(schedule.Request{Context: bad})
	if err == nil || !strings.Contains(err.Error(), `"a\xffb.txt" is not UTF-8`) {
		t.Errorf("a name that is not UTF-8 in the context: %v", err)
	}
	err = sendable(schedule.Request{Context: ok, Contexts: map[string]schedule.NamedContext{"lib": {Entries: bad}}})
	if err == nil || !strings.Contains(err.Error(), "of the context lib") {
		t.Errorf("a name that is not UTF-8 in a named context: %v", err)
	}
}
