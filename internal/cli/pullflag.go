package cli

import (
	"strconv"

	"github.com/spf13/pflag"
)

// pullFlag is --pull: unset, the config's pull: decides; --pull or --pull=false overrides it.
type pullFlag struct{ set, on bool }

func (p *pullFlag) String() string { return strconv.FormatBool(p.on) }
func (p *pullFlag) Type() string   { return "bool" }

func (p *pullFlag) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	p.set, p.on = true, on
	return nil
}

// value is the flag's value when it was given, nil otherwise (the config's pull: decides).
func (p *pullFlag) value() *bool {
	if !p.set {
		return nil
	}
	return &p.on
}

// addPullFlag adds --pull, bound to g (every command that plans reads it in g.open).
func addPullFlag(f *pflag.FlagSet, g *global) {
	f.Var(&g.pull, "pull", "resolve each external FROM image to its digest in its registry, which then counts in the inputs digest (default: the config's pull:)")
	f.Lookup("pull").NoOptDefVal = "true"
}
