package dockerfile

import (
	"fmt"
	"strings"
	"testing"
)

// manyStages is a Dockerfile of n stages, each FROM the one before and copying from the first.
func manyStages(n int) []byte {
	var b strings.Builder
	b.WriteString("FROM scratch AS s0\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "FROM s%d AS s%d\nCOPY --from=s0 /a /a\n", i-1, i)
	}
	return []byte(b.String())
}

// Stage look-ups are by name in a map: 20,000 stages take about what 10 × 2,000 do (a scan per
// FROM made it quadratic: 200,000 stages took 91 s in `imagemake ls`).
func BenchmarkManyStages(b *testing.B) {
	for _, n := range []int{2000, 20000} {
		src := manyStages(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				if _, err := Parse(src, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestManyStagesResolve(t *testing.T) {
	info, err := ParseOptions(manyStages(3000), Options{Target: "S2999"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Target != 2999 || len(info.Refs) != 0 {
		t.Fatalf("target %d, refs %v: want the last stage, every FROM and --from a stage", info.Target, info.Refs)
	}
}
