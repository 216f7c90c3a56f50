// Package service is ppsppd's side of running under systemd: sd_notify messages (ready,
// status, stopping), a watchdog that pets systemd only while the node's loop answers, and
// the signals a service manager sends. Every function is a no-op outside systemd, where
// NOTIFY_SOCKET is unset, so `ppsppd serve` runs the same in a terminal.
package service

import (
	"fmt"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/ppsppd/ppsppd/internal/units"
)

// notify sends one sd_notify datagram to $NOTIFY_SOCKET. The variable is left set: the
// watchdog keeps sending for the life of the process.
func notify(state string) error {
	if _, err := daemon.SdNotify(false, state); err != nil {
		return fmt.Errorf("sd_notify %q: %w", state, err)
	}
	return nil
}

// Ready tells systemd that start-up is complete: the sockets are bound and the swarms
// loaded. Type=notify units count as started only from here, so units ordered after ppsppd
// find its ports open. Also sent after a reload (see Reloading).
func Ready() error { return notify(daemon.SdNotifyReady) }

// Status sets the one-line status `systemctl status ppsppd` shows; see StatusLine.
func Status(line string) error { return notify("STATUS=" + line) }

// Stopping tells systemd that shutdown has begun, so it does not take the following
// silence for a hang before TimeoutStopSec.
func Stopping() error { return notify(daemon.SdNotifyStopping) }

// Reloading tells systemd that a SIGHUP reload is under way; send Ready when it is done.
// MONOTONIC_USEC lets systemd match the two (sd_notify(3)).
func Reloading() error {
	return notify(daemon.SdNotifyReloading + "\n" + daemon.SdNotifyMonotonicUsec())
}

// ExtendTimeout asks systemd for d more time in the current start or stop phase: start-up
// that hashes many large seed files can outlast TimeoutStartSec= (systemd 236 and later).
func ExtendTimeout(d time.Duration) error {
	return notify(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", d.Microseconds()))
}

// StatusLine formats the STATUS= text: the swarm count and the current total rates in
// bytes per second, e.g. "3 swarms, down 1.2 MiB/s, up 300.0 KiB/s" (units.Rate).
func StatusLine(swarms int, down, up float64) string {
	noun := "swarms"
	if swarms == 1 {
		noun = "swarm"
	}
	return fmt.Sprintf("%d %s, down %s, up %s", swarms, noun, units.Rate(down), units.Rate(up))
}
