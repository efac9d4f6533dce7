package buildkit

import (
	"context"
	"fmt"

	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// frontend is BuildKit's Dockerfile frontend (what dockerfile.v0 runs, and
// github.com/moby/buildkit/frontend/dockerfile/builder.Build without its subrequests, SBOM
// scans and lint warnings), run in this process: the builder only solves the definition it
// makes, so every builder gets this frontend's features whatever its own version. Each
// definition is checked against the builder's LLB capabilities before it is solved. A `#
// syntax=` line is not followed: that would pull and run another frontend image.
func (b *Builder) frontend(logs func(string)) gateway.BuildFunc {
	return func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		bc, err := dockerui.NewClient(c)
		if err != nil {
			return nil, err
		}
		src, err := bc.ReadEntrypoint(ctx, "Dockerfile")
		if err != nil {
			return nil, err
		}
		if ref, _, _, ok := parser.DetectSyntax(src.Data); ok {
			logs(fmt.Sprintf("imagemake: # syntax=%s ignored: the Dockerfile frontend is BuildKit's own (v0.34), run by imagemake", ref))
		}
		caps := c.BuildOpts().LLBCaps
		opt := dockerfile2llb.ConvertOpt{Config: bc.Config, Client: bc, SourceMap: src.SourceMap, MetaResolver: c}
		rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, idx int) (*dockerui.BuildResult, error) {
			opt := opt
			opt.TargetPlatform = platform
			res, err := dockerfile2llb.Dockerfile2LLB(ctx, src.Data, opt)
			if err != nil {
				return nil, err
			}
			def, err := res.State.Marshal(ctx)
			if err != nil {
				return nil, fmt.Errorf("marshalling the build definition: %w", err)
			}
			if err := missingCaps(def.ToPB(), &caps, b.name()); err != nil {
				return nil, err
			}
			r, err := c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), CacheImports: bc.CacheImports})
			if err != nil {
				return nil, err
			}
			ref, err := r.SingleRef()
			if err != nil {
				return nil, err
			}
			return &dockerui.BuildResult{Reference: ref, Image: res.Image, BaseImage: res.BaseImage, Epoch: res.Epoch}, nil
		})
		if err != nil {
			return nil, err
		}
		return rb.Finalize()
	}
}
