package config

import (
	"errors"
	"fmt"
	"slices"
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
	v, _, err := interpolate(s, env)
	return v, err
}

// interpolate is Interpolate that also returns the variables that were replaced by "" because
// they were not set and had no default or other modifier, in the order met (Compose warns
// about each).
func interpolate(s string, env map[string]string) (string, []string, error) {
	if !strings.Contains(s, "$") {
		return s, nil, nil
	}
	var unset []string
	l := lookups{
		get: func(name string) (string, bool) { // a plain $NAME or ${NAME}
			v, ok := env[name]
			if !ok && !slices.Contains(unset, name) {
				unset = append(unset, name)
			}
			return v, ok
		},
		peek: func(name string) (string, bool) { v, ok := env[name]; return v, ok },
	}
	v, err := l.substitute(s)
	return v, unset, err
}

// lookups are the variable lookups of one interpolation: get for plain references, peek for
// those with a modifier, which may be unset.
type lookups struct{ get, peek template.Mapping }

func (l lookups) substitute(s string) (string, error) {
	return template.SubstituteWithOptions(s, l.get,
		template.WithoutLogging,
		template.WithSubstitutionFunction(func(sub string, _ template.Mapping) (string, bool, error) {
			return l.modifier(sub)
		}),
		template.WithReplacementFunction(l.replace))
}

// replace handles one match of the template pattern. The pattern is greedy, so a match such as
// "${A:-x}/${B}" runs past the first variable: expand the head here and the rest silently.
func (l lookups) replace(match string, m template.Mapping, cfg *template.Config) (string, error) {
	head, rest := match, ""
	if i := closingBrace(match); i >= 0 {
		head, rest = match[:i+1], match[i+1:]
	}
	v, err := template.DefaultReplacementFunc(head, m, cfg)
	if err != nil || rest == "" {
		return v, err
	}
	r, err := l.substitute(rest)
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
func (l lookups) modifier(sub string) (value string, applied bool, err error) {
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
	value, set := l.peek(name)
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
	arg, err = l.substitute(arg)
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
