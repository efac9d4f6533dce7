package plan

import (
	"fmt"

	"github.com/imagemake/imagemake/internal/inputs"
)

// refsReason says why pi, whose main ref the engine holds with the current inputs, is not up
// to date: what the first of its refs that does not hold them holds instead (refReason).
// "" when every ref holds the current inputs.
func refsReason(pi *Image, engine map[string]EngineImage) string {
	for _, r := range pi.Config.Refs() {
		e, found := engine[normalize(r)]
		if why := refReason(r, e, found, pi.Manifest.Digest); why != "" {
			return why
		}
	}
	return ""
}

// refReason says what the engine's ref holds when it is not an image of the inputs want:
// nothing ("ref X missing from engine"), an image of other inputs ("ref X points at another
// image (inputs a ≠ b)") or one imagemake did not build ("ref X holds an image without the
// imagemake.inputs label (id)"). "" when it holds want.
func refReason(ref string, e EngineImage, found bool, want string) string {
	switch {
	case !found:
		return "ref " + ref + " missing from engine"
	case e.Inputs == "":
		return fmt.Sprintf("ref %s holds an image without the %s label (%s)", ref, inputs.Label, short(e.ID))
	case e.Inputs != want:
		return fmt.Sprintf("ref %s points at another image (inputs %s ≠ %s)", ref, short(e.Inputs), short(want))
	}
	return ""
}
