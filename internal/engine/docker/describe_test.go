package docker

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/client"

	"github.com/imagemake/imagemake/internal/build"
)

// TestDescribeMatchesTheClientsQuery sends buildOptions through the Docker client to a server
// that records the query: Describe must say exactly what the client sends.
func TestDescribeMatchesTheClientsQuery(t *testing.T) {
	req := build.Request{Image: "api", Dockerfile: "Dockerfile.api", Args: map[string]string{"PORT": "8080", "A": "b c"},
		Target: "runtime", Platform: "linux/amd64", Network: "none", Labels: map[string]string{InputsLabel: "sha256:1"},
		Refs: []string{"acme/api:dev", "acme/api:latest"}, NoCache: true, CacheFrom: []string{"reg/acme/api:main"},
		Secrets: []build.Secret{{ID: "npm", Env: "NPM_TOKEN"}, {ID: "key", Src: "/run/key"}}}
	got := make(chan url.Values, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/build") {
			got <- r.URL.Query()
		}
		io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	c, err := client.NewClientWithOpts(client.WithHost("tcp://"+strings.TrimPrefix(srv.URL, "http://")), client.WithVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.ImageBuild(context.Background(), strings.NewReader(""), buildOptions(req, ""))
	if err == nil {
		resp.Body.Close()
	}
	d := Describe(req)
	if sent := <-got; !reflect.DeepEqual(d.Query, sent) {
		t.Errorf("Describe query:\n%v\nthe client sends:\n%v", d.Query, sent)
	}
	wantCmd := []string{"docker", "build", "--file", "Dockerfile.api", "--build-arg", "A=b c", "--build-arg", "PORT=8080",
		"--target", "runtime", "--platform", "linux/amd64", "--network", "none", "--label", InputsLabel + "=sha256:1",
		"--tag", "acme/api:dev", "--tag", "acme/api:latest", "--cache-from", "reg/acme/api:main",
		"--secret", "id=npm,env=NPM_TOKEN", "--secret", "id=key,src=/run/key", "--no-cache", "-"}
	if !slices.Equal(d.Command, wantCmd) {
		t.Errorf("command:\n%q\nwant\n%q", d.Command, wantCmd)
	}
	if d.Method != "POST" || d.Path != "/build" {
		t.Errorf("call: %s %s", d.Method, d.Path)
	}
}
