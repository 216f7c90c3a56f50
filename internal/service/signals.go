package service

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Signals turns a service manager's signals into Go values. ctx ends on SIGTERM (systemctl
// stop) or SIGINT (Ctrl-C); hup receives once per SIGHUP (systemctl reload), with SIGHUPs
// that arrive while the previous one is unread folded into it, since one reread of the file
// serves them all. stop restores the default handling and must be called once the caller
// no longer reads hup; it is safe to call more than once.
func Signals(parent context.Context) (ctx context.Context, hup <-chan struct{}, stop func()) {
	ctx, cancel := signal.NotifyContext(parent, syscall.SIGTERM, syscall.SIGINT)
	raw := make(chan os.Signal, 1)
	signal.Notify(raw, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() { // the only sender on out; ends when stop is called
		defer close(done)
		for {
			select {
			case <-raw:
				select {
				case out <- struct{}{}:
				default: // a reload is already pending
				}
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			signal.Stop(raw)
			cancel()
			close(quit)
			<-done
		})
	}
	return ctx, out, stop
}
