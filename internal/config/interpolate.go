package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
)

// Interpolate expands ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:+alt}, ${VAR+alt},
// ${VAR:?message}, ${VAR?message}, $VAR and $$ in s the way Docker Compose does, looking
// variables up in env only.
//
// It runs compose-go's template engine with its own substitution functions because
// template.Substitute reports unset variables through logrus, and a library must not print.
// TestInterpolateMatchesCompose holds the two to the same results.
func Interpolate(s string, env map[string]string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	lookup := func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
	return substitute(s, lookup)
}

func substitute(s string, m template.Mapping) (string, error) {
	return template.SubstituteWithOptions(s, m,
		template.WithoutLogging,
		template.WithSubstitutionFunction(func(sub string, m template.Mapping) (string, bool, error) {
			return modifier(sub, m)
		}),
		template.WithReplacementFunction(replace))
}

// replace handles one match of the template pattern. The pattern is greedy, so a match such as
// "${A:-x}/${B}" runs past the first variable: expand the head here and the rest silently.
func replace(match string, m template.Mapping, cfg *template.Config) (string, error) {
	head, rest := match, ""
	if i := closingBrace(match); i >= 0 {
		head, rest = match[:i+1], match[i+1:]
	}
	v, err := template.DefaultReplacementFunc(head, m, cfg)
	if err != nil || rest == "" {
		return v, err
	}
	r, err := substitute(rest, m)
	return v + r, err
}

// closingBrace is the index of the brace closing the first ${, as compose-go finds it.
func closingBrace(s string) int {
	open := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '}':
			open--
			if open == 0 {
				return i
			}
		case '{':
			open++
			i++
		}
	}
	return -1
}

// modifiers in compose-go's order; the one found first in the expression applies.
var modifiers = []string{":?", "?", ":-", "-", ":+", "+"}

// modifier expands NAME<op>ARG, the inside of ${...}; applied is false for a plain ${NAME}.
func modifier(sub string, m template.Mapping) (value string, applied bool, err error) {
	op, at := "", -1
	for _, candidate := range modifiers {
		if i := strings.Index(sub, candidate); i >= 0 && (at < 0 || i < at) {
			op, at = candidate, i
		}
	}
	if at < 0 {
		return "", false, nil
	}
	name, arg := sub[:at], sub[at+len(op):]
	value, set := m(name)
	useArg := false
	switch op {
	case ":-", ":?":
		useArg = value == ""
	case "-", "?":
		useArg = !set
	case ":+":
		useArg = value != ""
	case "+":
		useArg = set
	}
	if !useArg {
		return value, true, nil
	}
	arg, err = substitute(arg, m)
	if err != nil {
		return "", false, err
	}
	if strings.HasSuffix(op, "?") {
		return "", true, &template.MissingRequiredError{Variable: name, Reason: arg}
	}
	return arg, true, nil
}

// interpolationMessage rewords compose-go's errors for a config file.
func interpolationMessage(err error) string {
	var invalid *template.InvalidTemplateError
	if errors.As(err, &invalid) {
		return fmt.Sprintf("invalid interpolation in %q (write $$ for a literal $)", invalid.Template)
	}
	return err.Error()
}
