package cli

import (
	"github.com/spf13/pflag"

	"github.com/imagemake/imagemake/internal/engine/buildkit"
)

// builderOptions are build's BuildKit daemon flags.
type builderOptions struct {
	addrs []string
	tls   buildkit.TLS
	load  bool
}

func addBuilderFlags(f *pflag.FlagSet, o *builderOptions) {
	f.StringArrayVar(&o.addrs, "builder", nil, "build on the BuildKit daemon at `URL` (tcp://host:port, unix:///path, docker-container://NAME, kube-pod://NAME, ssh://user@host) instead of the Docker engine; repeat for a pool (replaces builders: of imagemake.yaml, and $BUILDKIT_HOST)")
	f.StringVar(&o.tls.CA, "builder-tls-ca", "", "CA certificate `FILE` the builders' certificates are checked against")
	f.StringVar(&o.tls.Cert, "builder-tls-cert", "", "client certificate `FILE` for the builders (mTLS)")
	f.StringVar(&o.tls.Key, "builder-tls-key", "", "client key `FILE` for the builders (mTLS)")
	f.StringVar(&o.tls.ServerName, "builder-tls-server-name", "", "`NAME` the builders' certificates must carry (default: the host of each URL)")
	f.BoolVar(&o.load, "load", false, "with --builder and --push: also load each built image into the local Docker engine (without --push it is always loaded)")
}
