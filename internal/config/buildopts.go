package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// networks are the values BuildKit takes for a build's network (docker build --network): it
// knows no container networks.
var networks = []string{"default", "none", "host"}

var (
	profileRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) // Compose's profile names
	sshIDRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// checkImports checks the bake files and Compose profiles of the top level.
func (d *decoder) checkImports(p *Project) {
	for i, b := range p.Bake {
		f := fmt.Sprintf("bake[%d]", i)
		if !d.bad[f] {
			p.Bake[i], _ = d.projectPath(f, "bake file", b, fileKind)
		}
	}
	for i, pr := range p.Profiles {
		if f := fmt.Sprintf("profiles[%d]", i); !d.bad[f] && !profileRE.MatchString(pr) {
			d.errField(f, "invalid profile name %q: use letters, digits, _ . and -", pr)
		}
	}
}

// checkBuildOpts checks an image's network, ssh and cache_from.
func (d *decoder) checkBuildOpts(img *Image, f string) {
	if img.Network != "" && !validNetwork(img.Network) {
		d.errField(f+".network", "invalid network %q: BuildKit takes %s", img.Network, strings.Join(networks, ", "))
	}
	for i, s := range img.SSH {
		if fi := fmt.Sprintf("%s.ssh[%d]", f, i); !d.bad[fi] {
			img.SSH[i] = d.checkSSH(fi, s)
		}
	}
	for i, r := range img.CacheFrom {
		if fi := fmt.Sprintf("%s.cache_from[%d]", f, i); !d.bad[fi] {
			d.ref(fi, r, true)
		}
	}
}

func validNetwork(n string) bool {
	for _, v := range networks {
		if n == v {
			return true
		}
	}
	return false
}

// checkSSH checks one `docker build --ssh` value, ID[=PATH[,PATH...]], and returns it with
// relative paths made absolute against the project root (docker resolves them against the
// working directory; the config's folder is this project's).
func (d *decoder) checkSSH(field, spec string) string {
	id, paths, hasPaths := strings.Cut(spec, "=")
	if !sshIDRE.MatchString(id) {
		d.errField(field, "invalid ssh id %q: want default, or ID=PATH such as default=$SSH_AUTH_SOCK or github=~/.ssh/id_ed25519", id)
		return spec
	}
	if !hasPaths {
		return spec
	}
	var out []string
	for _, p := range strings.Split(paths, ",") {
		if p == "" {
			d.errField(field, "ssh %q: empty path", id)
			return spec
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(d.root, filepath.FromSlash(p))
		}
		out = append(out, p)
	}
	return id + "=" + strings.Join(out, ",")
}
