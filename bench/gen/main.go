// Command gen writes the benchmark repository of imagemake: a few base images, many services
// built FROM them sharing source folders, about 100,000 files, and its imagemake.yaml.
//
//	go run ./bench/gen -out /tmp/benchrepo [-images 30] [-files 100000] [-busybox /bin/busybox]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/imagemake/imagemake/bench/gen/benchrepo"
)

func main() {
	var o benchrepo.Options
	flag.StringVar(&o.Dir, "out", "benchrepo", "folder to write (missing or empty)")
	flag.IntVar(&o.Images, "images", 30, "images, the two base images included")
	flag.IntVar(&o.Files, "files", 100000, "files in all, about")
	flag.StringVar(&o.Busybox, "busybox", "/bin/busybox", "static busybox to put in the base images")
	flag.Parse()
	r, err := benchrepo.Generate(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if !r.Busybox {
		fmt.Fprintf(os.Stderr, "gen: %s not found: the base images hold a placeholder and will not run\n", o.Busybox)
	}
	fmt.Printf("%s: %d images, %d files, %.1f MB\n", r.Project.Root, len(r.Project.Images), r.Files, float64(r.Bytes)/1e6)
}
