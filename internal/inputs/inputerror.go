package inputs

import "errors"

// InputError is a problem with an image's files that the user must fix before anything can
// be built: an ignore file that does not parse or is no file, a file or folder that cannot be
// read, a context whose parts do not fit together. Context and Manifest return their errors
// as InputErrors.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func asInputError(err *error) {
	var ie *InputError
	if *err != nil && !errors.As(*err, &ie) {
		*err = &InputError{*err}
	}
}
