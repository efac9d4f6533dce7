package dockerfile

import (
	"fmt"
	"testing"
)

func TestScratch(t *testing.T) {
	for _, src := range []string{
		"FROM \"alpine\"\n",
		"",
		"# just a comment\n",
		"FROM\n",
		"FOO bar\nFROM x",
		"FROM alpine\nRUN <<EOF\nabc\n",
		"FROM alpine\nRUN --mount=from=$X true\n",
		"FROM alpine\nCOPY --from=$X a b\n",
		"FROM alpine\nCOPY --from=\"x\" a b\n",
		"FROM Alpine\n",
		"ARG B\nFROM ${B:?need B}\n",
		"FROM alpine AS 1x\n",
		"# escape=`\nFROM alpine\nRUN a `\n  b\nCOPY --from=img:1 a b\n",
		"FROM alpine\nRUN --mount=type=secret,id=x,from=img true\n",
		"FROM alpine\nRUN --mount=type=cache,from=img,target=/x --mount=target=/y,from=builder true\n",
		"FROM alpine\nRUN --mount=type=bogus,from=img true\n",
	} {
		info, err := Parse([]byte(src), nil)
		fmt.Printf("%q\n  %+v\n  err=%v\n", src, info, err)
	}
}
