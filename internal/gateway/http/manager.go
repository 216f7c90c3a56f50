package httpgw

import (
	"context"
	"io"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// Manager is what the gateway needs from the swarm manager. R is the manager's reader type,
// so *swarms.Manager (whose OpenReader returns *swarms.Reader) fits without an adapter:
// New infers R from the OpenReader method.
type Manager[R Reader] interface {
	// Status errors wrap swarms.ErrUnknown for a swarm the manager does not hold.
	Status(id swarms.ID) (swarms.Status, error)
	// Add starts a download; its error wraps swarms.ErrExists when the swarm is already held.
	Add(ctx context.Context, spec swarms.AddSpec) (swarms.Status, error)
	// OpenReader opens a reader whose waits end when ctx does.
	OpenReader(ctx context.Context, id swarms.ID) (R, error)
}

// Reader reads a swarm's verified content.
//
// ReadAt waits until the chunks covering off are verified (moving the swarm's playback
// position there), may return fewer bytes than asked with a nil error, and returns io.EOF
// at the end. Size waits until the content length is known. Both give up when the context
// the reader was opened with ends. The gateway reads only through ReadAt and Size, from one
// goroutine at a time, and calls Close once.
type Reader interface {
	io.ReadSeeker
	io.ReaderAt
	io.Closer
	Size() (int64, error)
}

// manager is Manager with the reader type erased, so Server need not be generic.
type manager interface {
	Status(id swarms.ID) (swarms.Status, error)
	Add(ctx context.Context, spec swarms.AddSpec) (swarms.Status, error)
	OpenReader(ctx context.Context, id swarms.ID) (Reader, error)
}

type erased[R Reader] struct{ m Manager[R] }

func (e erased[R]) Status(id swarms.ID) (swarms.Status, error) { return e.m.Status(id) }

func (e erased[R]) Add(ctx context.Context, spec swarms.AddSpec) (swarms.Status, error) {
	return e.m.Add(ctx, spec)
}

func (e erased[R]) OpenReader(ctx context.Context, id swarms.ID) (Reader, error) {
	r, err := e.m.OpenReader(ctx, id)
	if err != nil {
		// A nil *T in an interface would not compare equal to nil.
		return nil, err
	}
	return r, nil
}
