package inputs

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// File names are bytes: they may hold escape sequences (ESC, CR, other C0 and C1 controls,
// bidi overrides) that would act on a terminal, and bytes that are no UTF-8. Wherever
// imagemake prints a name it goes through QuotePath; wherever it records one it keeps the
// bytes (see Files).

// QuotePath returns name as it is when it prints as itself, else quoted as Go's %q does
// (strconv.Quote): a name holding a control character, a bidi or other format character, a
// byte that is no UTF-8, or starting with a double quote.
func QuotePath(name string) string {
	if printable(name) {
		return name
	}
	return strconv.Quote(name)
}

// printable tells whether s prints as itself: valid UTF-8 of printable characters and
// spaces, not starting with a double quote (which would read as quoted).
func printable(s string) bool {
	if strings.HasPrefix(s, `"`) {
		return false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !strconv.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}
