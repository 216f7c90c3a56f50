package service

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// notifySocket binds a unixgram socket the way systemd does for a Type=notify unit and
// points NOTIFY_SOCKET at it. The directory is short-lived and short-named: a socket path
// must fit in 108 bytes.
func notifySocket(t *testing.T) *net.UnixConn {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdnotify")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return conn
}

// receive waits for the next datagram; the deadline only keeps a broken test from hanging.
func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no sd_notify datagram: %v", err)
	}
	return string(buf[:n])
}

// drain returns the datagrams already queued on the socket. A unixgram send is queued at the
// receiver before the sender's write returns, so anything sent before drain is called is
// there to read; the short deadline only ends the read once the queue is empty.
func drain(t *testing.T, conn *net.UnixConn) []string {
	t.Helper()
	var got []string
	buf := make([]byte, 4096)
	for {
		if err := conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:n]))
	}
}

func TestNotifyMessages(t *testing.T) {
	conn := notifySocket(t)
	steps := []struct {
		send func() error
		want string
	}{
		{Ready, "^READY=1$"},
		{func() error { return Status(StatusLine(3, 1.2*(1<<20), 300*1024)) }, `^STATUS=3 swarms, down 1\.2 MiB/s, up 300\.0 KiB/s$`},
		{Reloading, "^RELOADING=1\nMONOTONIC_USEC=[0-9]+\n$"},
		{func() error { return ExtendTimeout(90 * time.Second) }, "^EXTEND_TIMEOUT_USEC=90000000$"},
		{Stopping, "^STOPPING=1$"},
	}
	for _, s := range steps {
		if err := s.send(); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, conn); !regexp.MustCompile(s.want).MatchString(got) {
			t.Errorf("datagram %q, want %s", got, s.want)
		}
	}
	if os.Getenv("NOTIFY_SOCKET") == "" {
		t.Error("NOTIFY_SOCKET was unset; the watchdog needs it for the life of the process")
	}
}

func TestNotifyOutsideSystemdIsNoop(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	for _, send := range []func() error{Ready, Stopping, Reloading, func() error { return Status("x") }} {
		if err := send(); err != nil {
			t.Errorf("without NOTIFY_SOCKET: %v", err)
		}
	}
}

func TestNotifyReportsMissingSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	if err := Ready(); err == nil || !strings.Contains(err.Error(), "READY=1") {
		t.Fatalf("Ready() = %v, want an error naming the message", err)
	}
}

func TestStatusLine(t *testing.T) {
	cases := map[string]string{
		StatusLine(0, 0, 0):              "0 swarms, down 0 B/s, up 0 B/s",
		StatusLine(1, 512, 999.4):        "1 swarm, down 512 B/s, up 999 B/s",
		StatusLine(2, 1536, 2.5*(1<<20)): "2 swarms, down 1.5 KiB/s, up 2.5 MiB/s",
		StatusLine(12, 3.25*(1<<30), -1): "12 swarms, down 3.2 GiB/s, up 0 B/s",
		StatusLine(1, 1<<20, (1<<20)-10): "1 swarm, down 1.0 MiB/s, up 1.0 MiB/s",
		StatusLine(1, 1023.7, 999*1024):  "1 swarm, down 1.0 KiB/s, up 999.0 KiB/s",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
