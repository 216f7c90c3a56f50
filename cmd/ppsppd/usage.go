package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses (listed in the README).
const (
	exitOK          = 0
	exitFailure     = 1   // the command ran and failed (no peer answered, bad data, I/O)
	exitUsage       = 2   // wrong command line or configuration; nothing was started
	exitInterrupted = 130 // interrupted (Ctrl-C or SIGTERM) before the work was done, as shells report SIGINT
)

// usageError is a mistake in the command line: main prints it with a pointer to --help
// and exits with exitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// interruptedError ends a command that a signal stopped before its work was done.
type interruptedError struct{ err error }

func (e interruptedError) Error() string { return e.err.Error() }
func (e interruptedError) Unwrap() error { return e.err }

// markUsageErrors makes every command's argument count and flag errors usage errors.
func markUsageErrors(c *cobra.Command) {
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usagef("%v; usage: %s", err, cmd.UseLine())
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

// exitStatus maps a command's error to the process's exit status. Cobra reports an
// unknown command and missing required flags with plain errors; they are usage errors too.
func exitStatus(err error) int {
	var ie interruptedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ie):
		return exitInterrupted
	case isUsage(err), errors.As(err, new(configError)):
		return exitUsage
	}
	return exitFailure
}

// isUsage reports a command line mistake, for which main points to --help. Cobra reports
// an unknown command and missing required flags with plain errors.
func isUsage(err error) bool {
	return errors.As(err, new(usageError)) ||
		strings.HasPrefix(err.Error(), "unknown command ") || strings.HasPrefix(err.Error(), "required flag(s) ")
}
