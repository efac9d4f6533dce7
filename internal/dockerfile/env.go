package dockerfile

import (
	"fmt"
	"maps"
	"slices"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// defaultPlatform stands for the build and target platform when the builder's
// is not known (Options.BuildPlatform): BuildKit uses its worker's platform;
// linux/amd64 is what CI runners nearly always are. Options.Platform and the
// build args BUILDPLATFORM, TARGETARCH... override it.
var defaultPlatform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// vars is the environment FROM is expanded in; it implements shell.EnvGetter.
type vars map[string]string

func (v vars) Get(key string) (string, bool) {
	s, ok := v[key]
	return s, ok
}

func (v vars) Keys() []string { return slices.Sorted(maps.Keys(v)) }

// platformArgs are the args BuildKit defines before any ARG, as in
// dockerfile2llb's defaultArgs; a build arg of the same name replaces one
// whether or not the Dockerfile declares it.
func platformArgs(bp, target ocispecs.Platform, stage string, overrides map[string]string) vars {
	if stage == "" {
		stage = "default"
	}
	env := vars{
		"BUILDPLATFORM":   platforms.Format(bp),
		"BUILDOS":         bp.OS,
		"BUILDOSVERSION":  bp.OSVersion,
		"BUILDARCH":       bp.Architecture,
		"BUILDVARIANT":    bp.Variant,
		"TARGETPLATFORM":  platforms.FormatAll(target),
		"TARGETOS":        target.OS,
		"TARGETOSVERSION": target.OSVersion,
		"TARGETARCH":      target.Architecture,
		"TARGETVARIANT":   target.Variant,
		"TARGETSTAGE":     stage,
	}
	for k := range env {
		if v, ok := overrides[k]; ok {
			env[k] = v
		}
	}
	return env
}

// parsePlatform parses a platform of Options, def when it is empty.
func parsePlatform(s string, def ocispecs.Platform) (ocispecs.Platform, error) {
	if s == "" {
		return def, nil
	}
	p, err := platforms.Parse(s)
	if err != nil {
		return p, &Error{Err: fmt.Errorf("platform %q: %w", s, err)}
	}
	return platforms.Normalize(p), nil
}

// globals adds the ARGs declared before the first FROM to r.env: a build arg
// when one is given, else the default expanded with what came before, as
// dockerfile2llb's buildMetaArgs does. An ARG without either keeps the
// previous value (a platform arg) or stays unset.
func (r *resolver) globals(args map[string]string) error {
	for _, a := range r.file.metaArgs {
		for _, kv := range a.cmd.Args {
			r.declare(kv.Key)
			if v, ok := args[kv.Key]; ok {
				r.env[kv.Key] = v
				delete(r.guessedGlobal, kv.Key)
				continue
			}
			if kv.Value == nil {
				continue
			}
			res, err := r.lex.ProcessWordWithMatches(*kv.Value, r.env)
			if err != nil {
				return errorf(a.line, "ARG %s: %v", kv.Key, err)
			}
			r.env[kv.Key] = res.Result
			if r.usesGuessed(res) {
				r.guessedGlobal[kv.Key] = true
			} else {
				delete(r.guessedGlobal, kv.Key)
			}
		}
	}
	return nil
}

func (r *resolver) declare(name string) {
	if !r.declared[name] {
		r.declared[name] = true
		r.info.GlobalArgs = append(r.info.GlobalArgs, name)
	}
}
