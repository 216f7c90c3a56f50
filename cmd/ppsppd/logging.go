package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newLogger writes human-readable lines to stderr at the given level.
func newLogger(level string) (*zap.Logger, error) {
	log, _, err := newLeveledLogger(level)
	return log, err
}

// newLeveledLogger is newLogger with a level that can change while running (SIGHUP).
func newLeveledLogger(level string) (*zap.Logger, zap.AtomicLevel, error) {
	lvl, err := zap.ParseAtomicLevel(level)
	if err != nil {
		return nil, lvl, fmt.Errorf("log level %q: %w", level, err)
	}
	enc := zap.NewDevelopmentEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.Lock(os.Stderr), lvl)
	return zap.New(core), lvl, nil
}

// withSignals runs fn with a logger and a context that ends on SIGINT or SIGTERM, the frame
// every long-running command shares.
func withSignals(cmd *cobra.Command, level string, fn func(context.Context, *zap.Logger) error) error {
	log, err := newLogger(level)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // stderr
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return fn(ctx, log)
}
