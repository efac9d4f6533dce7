package progress

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// printable returns text, made by imagemake (a reason, a message), with each character that
// would act on a terminal rather than print — a C0 or C1 control other than newline and tab,
// DEL, a bidi override or other format character, a byte that is no UTF-8 — written as Go
// escapes it (\x1b, \r, \u202e, \xff). Names in reasons come quoted already (inputs.QuotePath);
// this keeps any other text from reaching the terminal raw. BuildKit's log lines are left as
// BuildKit wrote them.
func printable(text string) string {
	i := firstUnprintable(text)
	if i < 0 {
		return text
	}
	var b strings.Builder
	b.WriteString(text[:i])
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(text[i])|0x100, 16)[1:])
		case prints(r):
			b.WriteString(text[i : i+size])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// firstUnprintable is the index of the first character of text printable escapes, -1 for none.
func firstUnprintable(text string) int {
	for i, r := range text {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(text[i:]); size == 1 {
				return i
			}
		}
		if !prints(r) {
			return i
		}
	}
	return -1
}

func prints(r rune) bool {
	return r == '\n' || r == '\t' || r == ' ' || strconv.IsPrint(r) || r == utf8.RuneError
}
