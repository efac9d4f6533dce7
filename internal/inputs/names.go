package inputs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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

// changeJSON is Change as JSON: its fields, and name_base64 when Name is not UTF-8.
type changeJSON struct {
	changeFields
	NameBase64 string `json:"name_base64,omitempty"`
}

// changeFields has the fields of Change but not its methods.
type changeFields Change

// MarshalJSON writes the change. A Name that is not UTF-8 (a file name's bytes) cannot be a
// JSON string: "name" holds it with U+FFFD for each byte that is no UTF-8, and "name_base64"
// its exact bytes in base64; the key is absent otherwise.
func (c Change) MarshalJSON() ([]byte, error) {
	j := changeJSON{changeFields: changeFields(c)}
	if !utf8.ValidString(c.Name) {
		j.NameBase64 = base64.StdEncoding.EncodeToString([]byte(c.Name))
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, Name byte-exact.
func (c *Change) UnmarshalJSON(data []byte) error {
	var j changeJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*c = Change(j.changeFields)
	if j.NameBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(j.NameBase64)
		if err != nil {
			return fmt.Errorf("name_base64: %w", err)
		}
		c.Name = string(b)
	}
	return nil
}

// quoteErrPath returns err with the path of an *fs.PathError it is quoted (QuotePath), so the
// message prints as itself; err as it is otherwise.
func quoteErrPath(err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) || printable(pe.Path) || pe != err {
		return err
	}
	return &fs.PathError{Op: pe.Op, Path: QuotePath(pe.Path), Err: pe.Err}
}
