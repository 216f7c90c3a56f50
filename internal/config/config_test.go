package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/ppsppd/ppsppd/configs"
	"github.com/ppsppd/ppsppd/internal/congestion"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ppsppd.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "/var/lib/ppsppd")
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Node.Listen != "0.0.0.0:6778" || c.Seed.ChunkSize != 1024 || c.Seed.Hash != "sha1" ||
		c.Stats.Listen != "127.0.0.1:6780" || c.Node.StateDir != "/var/lib/ppsppd" || c.Log.Level != "info" {
		t.Fatalf("%+v", c)
	}
	if c.Node.ContentDir != "/var/lib/ppsppd/content" || c.CMD.Listen != "127.0.0.1:6777" || c.CMD.AllowShutdown ||
		c.HTTP.Listen != "127.0.0.1:6779" || c.Limits.Rates() != (Rates{}) {
		t.Fatalf("%+v", c)
	}
	if v, err := c.Node.CongestionVariant(); err != nil || v != congestion.LEDBATPlusPlus {
		t.Fatalf("node.congestion %q: %v, %v; want LEDBAT++ by default", c.Node.Congestion, v, err)
	}
}

func TestUserFileOverridesOnlyWhatItSets(t *testing.T) {
	c, err := Load(write(t, "[seed]\npaths = [\"/srv/video\"]\nhash = \"sha256\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Seed.Paths) != 1 || c.Seed.Hash != "sha256" || c.Seed.ChunkSize != 1024 || c.Node.Listen != "0.0.0.0:6778" {
		t.Fatalf("%+v", c)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"[node]\nlisten = \"nonsense\"\n":       "node.listen",
		"[node]\ncongestion = \"cubic\"\n":      "node.congestion",
		"[log]\nlevel = \"loud\"\n":             "log.level",
		"[seed]\nchunk_size = 0\n":              "seed.chunk_size",
		"[seed]\nhash = \"md5\"\n":              "seed.hash",
		"[stats]\nlisten = \"x\"\n":             "stats.listen",
		"[seed]\nchunksize = 2048\n":            "chunksize",
		"[node\n":                               "line 1",
		"[seed]\nchunk_size = \"big\"\n":        "line 2",
		"[cmd]\nlisten = \"6777\"\n":            "cmd.listen",
		"[http]\nlisten = \"localhost\"\n":      "http.listen",
		"[limits]\nupload = \"fast\"\n":         "limits.upload",
		"[limits]\nswarm_download = \"-1\"\n":   "limits.swarm_download",
		"[cmd]\nallow_shutdwn = true\n":         "allow_shutdwn",
		"[http]\nlisten = \"127.0.0.1:6780\"\n": "stats.listen = \"127.0.0.1:6780\": the same address as http.listen",
	}
	for body, want := range cases {
		_, err := Load(write(t, body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %q", body, err, want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Error("missing file accepted")
	}
}

// TestWrongTypeNamesKeyAndType checks that a value of the wrong TOML type is reported with
// its dotted key, the type the key wants and the position, rather than a Go struct field.
func TestWrongTypeNamesKeyAndType(t *testing.T) {
	cases := map[string]string{
		"[seed]\nchunk_size = \"big\"\n":          "line 2, column 14: seed.chunk_size: want an integer, got a string",
		"[stats]\nlisten = 6780\n":                "stats.listen: want a string, got an integer",
		"[seed]\npaths = \"/srv\"\n":              "seed.paths: want an array of strings, got a string",
		"[seed]\npaths = [\"/srv\", 3]\n":         "seed.paths[1]: want a string, got an integer",
		"[cmd]\nallow_shutdown = \"yes\"\n":       "cmd.allow_shutdown: want a boolean (true or false), got a string",
		"[limits]\nupload = 1048576\n":            "limits.upload: want a string, got an integer",
		"log = \"debug\"\n":                       "log: want a table, got a string",
		"[node]\nlisten = 1979-05-27T07:32:00Z\n": "node.listen: want a string, got a date-time",
	}
	for body, want := range cases {
		_, err := Load(write(t, body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", body, err, want)
		}
	}
}

func TestListenerIsLoopback(t *testing.T) {
	cases := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:6777", true}, {"127.0.0.53:6777", true}, {"[::1]:6777", true}, {"localhost:6777", true},
		{"", true}, // disabled: exposes nothing
		{"0.0.0.0:6777", false}, {":6777", false}, {"[::]:6777", false}, {"192.0.2.1:6777", false},
		{"gateway.example:6777", false},
	}
	for _, tc := range cases {
		c := Config{CMD: CMD{Listen: tc.addr}}
		if got := c.ListenerIsLoopback("cmd.listen"); got != tc.want {
			t.Errorf("cmd.listen = %q: loopback %v, want %v", tc.addr, got, tc.want)
		}
	}
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"cmd.listen", "http.listen", "stats.listen"} {
		if !c.ListenerIsLoopback(key) {
			t.Errorf("default %s is not loopback", key)
		}
	}
	if c.ListenerIsLoopback("node.listen") {
		t.Error("default node.listen (0.0.0.0) reported as loopback")
	}
	if c.ListenerIsLoopback("cmd.nonsense") {
		t.Error("unknown key reported as loopback")
	}
}

func TestBindErrorNamesKey(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	_, lerr := net.Listen("tcp", addr)
	if lerr == nil {
		t.Fatal("second listen on a busy port succeeded")
	}
	err = &BindError{Key: "cmd.listen", Addr: addr, Err: lerr}
	if !strings.Contains(err.Error(), `cmd.listen = "`+addr+`"`) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("%v: want the key, the address and EADDRINUSE underneath", err)
	}
}

// TestDefaultFileHasEveryKey keeps configs/ppsppd.toml complete: every key of Config is
// written out there (with its comment), and nothing else is.
func TestDefaultFileHasEveryKey(t *testing.T) {
	var doc map[string]any
	if err := toml.Unmarshal(configs.Default, &doc); err != nil {
		t.Fatal(err)
	}
	var inFile []string
	var walkDoc func(prefix string, m map[string]any)
	walkDoc = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walkDoc(prefix+k+".", sub)
				continue
			}
			inFile = append(inFile, prefix+k)
		}
	}
	walkDoc("", doc)
	slices.Sort(inFile)
	if want := allKeys(); !slices.Equal(inFile, want) {
		t.Fatalf("default file keys %v\nConfig keys %v", inFile, want)
	}
}

// allKeys lists Config's dotted keys: every key of a zero Config differs from fullConfig.
func allKeys() []string { return changedKeys(Config{}, fullConfig()) }

// fullConfig sets every field of Config to a value other than its zero.
func fullConfig() Config {
	var full Config
	v := reflect.ValueOf(&full).Elem()
	for i := 0; i < v.NumField(); i++ {
		table := v.Field(i)
		for j := 0; j < table.NumField(); j++ {
			f := table.Field(j)
			switch f.Kind() {
			case reflect.String:
				f.SetString("x")
			case reflect.Int:
				f.SetInt(1)
			case reflect.Float64:
				f.SetFloat(1)
			case reflect.Bool:
				f.SetBool(true)
			case reflect.Slice:
				elem := reflect.Zero(f.Type().Elem())
				if f.Type().Elem().Kind() == reflect.String {
					elem = reflect.ValueOf("x")
				}
				f.Set(reflect.Append(f, elem))
			}
		}
	}
	return full
}

// TestChunkSizeRule: seed.chunk_size follows the one chunk size rule, with the limit in
// the message.
func TestChunkSizeRule(t *testing.T) {
	for n, ok := range map[int]bool{1: true, hashtree.MaxChunkSize: true, 0: false, hashtree.MaxChunkSize + 1: false, 65536: false} {
		_, err := Load(write(t, fmt.Sprintf("[seed]\nchunk_size = %d\n", n)))
		if (err == nil) != ok {
			t.Errorf("chunk_size = %d: %v, want accepted=%v", n, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("1 to %d bytes", hashtree.MaxChunkSize)) {
			t.Errorf("chunk_size = %d: %v does not give the limit", n, err)
		}
	}
}

// TestUnknownTableAndKey: a misspelt table or key is named as the user wrote it.
func TestUnknownTableAndKey(t *testing.T) {
	for body, want := range map[string]string{
		"[nodes]\nlisten = \"127.0.0.1:1\"\n": "line 1: unknown table [nodes]",
		"[seed]\nchunksize = 2048\n":          "line 2: unknown key seed.chunksize",
	} {
		_, err := Load(write(t, body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
