package gitinfo

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/moby/buildkit/util/gitutil"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Annotations are the OCI annotations of an image built from the checkout in dir:
// org.opencontainers.image.revision (HEAD's full hash), .source (the remote's URL, https-like,
// without credentials) and .created (HEAD's commit time, in UTC: the same commit gives the
// same annotations on every machine). A field git cannot tell (not a repository, no commit,
// no remote on a host) is left out; outside git the map is empty.
func Annotations(ctx context.Context, dir string) map[string]string {
	out := map[string]string{}
	if head, err := git(ctx, dir, "show", "-s", "--format=%H %cI", "HEAD^{commit}"); err == nil {
		rev, t, _ := strings.Cut(head, " ")
		if rev != "" {
			out[ocispecs.AnnotationRevision] = rev
		}
		if when, err := time.Parse(time.RFC3339, t); err == nil {
			out[ocispecs.AnnotationCreated] = when.UTC().Format(time.RFC3339)
		}
	}
	if src := SourceURL(remoteURL(ctx, dir)); src != "" {
		out[ocispecs.AnnotationSource] = src
	}
	return out
}

// remoteURL is the URL of the remote the current branch tracks, else origin's, else
// upstream's, as buildx picks it; "" when there is none.
func remoteURL(ctx context.Context, dir string) string {
	remotes := []string{"origin", "upstream"}
	if b, err := git(ctx, dir, "symbolic-ref", "--short", "-q", "HEAD"); err == nil && b != "" {
		if r, err := git(ctx, dir, "config", "--get", "branch."+b+".remote"); err == nil && r != "" && r != "." {
			remotes = append([]string{r}, remotes...)
		}
	}
	for _, r := range remotes {
		if u, err := git(ctx, dir, "remote", "get-url", r); err == nil && u != "" {
			return u
		}
	}
	return ""
}

// SourceURL turns a git remote into the web address of the repository, as image annotations
// and registries show it: git@github.com:org/repo.git and ssh://git@github.com/org/repo become
// https://github.com/org/repo, an http(s) URL loses its credentials and its .git. A remote on
// no host (a folder, file://) has none: "".
func SourceURL(remote string) string {
	u, err := gitutil.ParseURL(remote)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme, host := "https", u.Host
	switch u.Scheme {
	case gitutil.HTTPProtocol:
		scheme = "http"
	case gitutil.HTTPSProtocol:
	default: // ssh's or git's port is no web port
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	p := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
	if p == "" {
		return scheme + "://" + host
	}
	return scheme + "://" + host + "/" + p
}

// Identity names the repository in dir the same way in every clone of it: its remote's web
// address (SourceURL, without credentials), or the remote as git has it when it is a folder or
// file:// URL; "" outside git or without a remote.
func Identity(ctx context.Context, dir string) string {
	remote := remoteURL(ctx, dir)
	if src := SourceURL(remote); src != "" {
		return src
	}
	return remote // a folder or file:// remote: no host, no credentials
}

// Prefix is the path of dir inside its repository's work tree, with a trailing slash
// ("services/shop/"); "" at the top of the work tree or outside git.
func Prefix(ctx context.Context, dir string) string {
	p, _ := git(ctx, dir, "rev-parse", "--show-prefix")
	return p
}
