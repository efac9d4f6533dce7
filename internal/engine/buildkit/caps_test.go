package buildkit

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
)

// capsWithout is every LLB capability of this BuildKit but the given ones, as an older builder
// answers them.
func capsWithout(missing ...apicaps.CapID) apicaps.CapSet {
	all := pb.Caps.All()
	for _, c := range all {
		for _, m := range missing {
			if apicaps.CapID(c.ID) == m {
				c.Enabled = false
			}
		}
	}
	return pb.Caps.CapSet(all)
}

// copyExclude is the definition of `COPY --exclude=*.txt . /src` at line 2 of a Dockerfile.
func copyExclude(t *testing.T) *pb.Definition {
	t.Helper()
	src := "FROM scratch\nCOPY --exclude=*.txt . /src\n"
	sm := llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", []byte(src))
	st := llb.Scratch().File(llb.Copy(llb.Local("context"), "/", "/src", &llb.CopyInfo{ExcludePatterns: []string{"*.txt"}}),
		sm.Location([]*pb.Range{{Start: &pb.Position{Line: 2}, End: &pb.Position{Line: 2}}}))
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return def.ToPB()
}

func TestMissingCapsNamesTheLineAndTheFeature(t *testing.T) {
	lacking := capsWithout(pb.CapFileCopyIncludeExcludePatterns)
	err := missingCaps(copyExclude(t), &lacking, "the Docker engine at unix:///x")
	if err == nil {
		t.Fatal("COPY --exclude on a builder without file.copy.includeexcludepatterns: no error")
	}
	for _, want := range []string{"Dockerfile:2: COPY --exclude=*.txt . /src: COPY --exclude", "file.copy.includeexcludepatterns", "the Docker engine at unix:///x", "refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	full := capsWithout()
	if err := missingCaps(copyExclude(t), &full, "b"); err != nil {
		t.Errorf("a builder with every capability: %v", err)
	}
}

func TestMissingCapsFromMetadata(t *testing.T) {
	st := llb.Image("busybox").Run(llb.Shlex("true"), llb.AddSecret("/run/secrets/tok", llb.SecretID("tok"), llb.SecretAsEnv(true))).Root()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lacking := capsWithout(pb.CapExecSecretEnv)
	if err := missingCaps(def.ToPB(), &lacking, "b"); err == nil || !strings.Contains(err.Error(), "RUN --mount=type=secret,env=") {
		t.Errorf("a secret as env on a builder without exec.secret.env: %v", err)
	}
}
