// Command gen writes the benchmark repository of imagemake: a few base images, many services
// built FROM them sharing source folders, about 100,000 files, and its imagemake.yaml.
//
//	go run ./bench/gen -out /tmp/benchrepo [-images 30] [-files 100000] [-busybox /bin/busybox] [-root-context]
//
// With -scan it writes nothing and times instead one scan of the inputs of every image of a
// repository it wrote before with the same -images, -files and -root-context: the first scan
// reads every file, the next ones only stat them. -n repeats the scan, -cpuprofile and
// -memprofile profile the scans (not the loading of the model), as `go test` would.
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
	flag.BoolVar(&o.ModelOnly, "scan", false, "time a scan of the inputs of a repository written before")
	flag.BoolVar(&o.RootContext, "root-context", false, "the repository root as every image's context, with -f and COPY lines naming what each reads")
	var so scanOptions
	flag.BoolVar(&so.prefetch, "prefetch", true, "with -scan: walk the contexts ahead in the background")
	flag.IntVar(&so.runs, "n", 1, "with -scan: scans to run one after another")
	flag.StringVar(&so.cpuProfile, "cpuprofile", "", "with -scan: write a CPU profile of the scans to this file")
	flag.StringVar(&so.memProfile, "memprofile", "", "with -scan: write an allocation profile of the scans to this file")
	flag.Parse()
	r, err := benchrepo.Generate(o)
	if err == nil && o.ModelOnly {
		err = scanRuns(os.Stdout, r, so)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if o.ModelOnly {
		return
	}
	if !r.Busybox {
		fmt.Fprintf(os.Stderr, "gen: %s not found: the base images hold a placeholder and will not run\n", o.Busybox)
	}
	fmt.Printf("%s: %d images, %d files, %.1f MB\n", r.Project.Root, len(r.Project.Images), r.Files, float64(r.Bytes)/1e6)
}
