package cli

import (
	"github.com/imagemake/imagemake/internal/report"
	imagerun "github.com/imagemake/imagemake/internal/run"
	"github.com/imagemake/imagemake/internal/schedule"
)

// writeReport writes build --report FILE.html (and FILE.json) for the run's results, failed or
// interrupted runs included: that is when the report is needed most.
func writeReport(s *imagerun.Run, file string, results []schedule.Result) error {
	if file == "" {
		return nil
	}
	deps := map[string][]string{}
	for _, pi := range s.Images {
		deps[pi.Name] = s.Model.Graph.DepNames(pi.Name)
	}
	return failedErrOrNil(report.Write(file, results, deps))
}
