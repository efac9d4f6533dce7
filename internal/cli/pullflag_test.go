package cli

import (
	"testing"

	"github.com/spf13/pflag"

	imagerun "github.com/imagemake/imagemake/internal/run"
)

func TestPullFlagOverridesTheConfigEitherWay(t *testing.T) {
	for _, c := range []struct {
		args   []string
		config bool
		want   bool
	}{
		{nil, false, false},
		{nil, true, true},
		{[]string{"--pull"}, false, true},
		{[]string{"--pull=false"}, true, false},
		{[]string{"--pull=true"}, false, true},
	} {
		g := &global{}
		f := pflag.NewFlagSet("build", pflag.ContinueOnError)
		addPullFlag(f, g)
		if err := f.Parse(c.args); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if got := imagerun.Pulling(g.pull.value(), c.config); got != c.want {
			t.Errorf("%v with pull: %v in the config: %v, want %v", c.args, c.config, got, c.want)
		}
	}
	f := pflag.NewFlagSet("build", pflag.ContinueOnError)
	addPullFlag(f, &global{})
	if err := f.Parse([]string{"--pull=maybe"}); err == nil {
		t.Error("--pull=maybe parsed")
	}
}
