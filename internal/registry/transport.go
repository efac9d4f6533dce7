package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// retryTransport retries what a registry or the network gets wrong for a moment, and
// bounds each attempt by a timeout. It sits under go-containerregistry's authentication,
// so token requests are retried too.
type retryTransport struct {
	inner   http.RoundTripper
	retries int
	backoff time.Duration
	timeout time.Duration
}

// refusedRetries caps the retries of a refused connection: a registry that is down
// rarely comes up within the backoff, but one that is restarting does.
const refusedRetries = 2

// maxBackoff caps the wait between two attempts.
const maxBackoff = 30 * time.Second

// maxRetryAfter caps how long a Retry-After header can make us wait.
const maxRetryAfter = 10 * time.Second

var retryStatus = map[int]bool{
	http.StatusRequestTimeout:      true,
	http.StatusTooManyRequests:     true,
	http.StatusInternalServerError: true,
	http.StatusBadGateway:          true,
	http.StatusServiceUnavailable:  true,
	http.StatusGatewayTimeout:      true,
}

type noRetryKey struct{}

// withoutRetries marks requests made with ctx as not to be retried.
func withoutRetries(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryKey{}, true)
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	retries := t.retries
	if req.Context().Value(noRetryKey{}) != nil || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		retries = 0 // a streamed body cannot be sent twice
	}
	refused := 0
	for attempt := 0; ; attempt++ {
		resp, err := t.attempt(req, attempt)
		if errors.Is(err, syscall.ECONNREFUSED) {
			refused++
		}
		if attempt >= retries || refused > refusedRetries || !retryable(req.Context(), resp, err) {
			return resp, err
		}
		wait := t.delay(attempt, resp)
		discard(resp)
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// attempt sends req once, within the timeout.
func (t *retryTransport) attempt(req *http.Request, n int) (*http.Response, error) {
	ctx, cancel := req.Context(), context.CancelFunc(func() {})
	if t.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
	}
	r, err := rewind(req.WithContext(ctx), n)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := t.inner.RoundTrip(r)
	if err != nil {
		timedOut := ctx.Err() == context.DeadlineExceeded && req.Context().Err() == nil
		cancel()
		if timedOut {
			return nil, &timeoutError{host: req.URL.Host, after: t.timeout}
		}
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// rewind gives a retried request a fresh copy of its body.
func rewind(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 0 || req.GetBody == nil {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

func retryable(ctx context.Context, resp *http.Response, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err == nil {
		return retryStatus[resp.StatusCode]
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// delay is the exponential backoff with a little jitter, or what the registry asked for.
func (t *retryTransport) delay(attempt int, resp *http.Response) time.Duration {
	d := t.backoff
	for i := 0; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	d += time.Duration(rand.Int64N(int64(d)/10 + 1))
	if resp != nil {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			d = max(d, min(time.Duration(s)*time.Second, maxRetryAfter))
		}
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// discard drops a response that is about to be retried, letting its connection be reused.
func discard(resp *http.Response) {
	if resp != nil {
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		_ = resp.Body.Close()
	}
}

// cancelBody ends an attempt's timeout when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

type timeoutError struct {
	host  string
	after time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no response from %s within %s", e.host, e.after)
}

func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }
