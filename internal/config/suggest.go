package config

import (
	"sort"
	"strings"
)

// suggest returns the candidate closest to word: within edit distance 2 (1 for words shorter
// than 4), or sharing a prefix of at least 3 characters with it. "" when none is close.
func suggest(word string, candidates []string) string {
	limit := 2
	if len(word) < 4 {
		limit = 1
	}
	best, bestDist := "", limit+1
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		dist := editDistance(strings.ToLower(word), strings.ToLower(c))
		if dist > limit && isPrefix(word, c) {
			dist = limit
		}
		if dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

// isPrefix reports whether one of a and b starts with the other, the shorter one having at
// least 3 characters.
func isPrefix(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) >= 3 && strings.HasPrefix(b, a)
}

// editDistance is the optimal string alignment distance between a and b: insertions,
// deletions, substitutions and swaps of two neighbours ("wbe" is 1 from "web").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// DidYouMean is " (did you mean \"x\"?)" when a candidate is close to word, else "".
func DidYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return ` (did you mean "` + s + `"?)`
	}
	return ""
}
