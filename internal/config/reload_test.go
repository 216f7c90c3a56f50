package config

import (
	"slices"
	"testing"
)

func TestDiffAppliesLiveKeysOnly(t *testing.T) {
	running, err := Load(write(t, "[node]\nstate_dir = \"/var/lib/a\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	next, err := Load(write(t, `
[node]
state_dir = "/var/lib/a"
listen = "0.0.0.0:7000"
[log]
level = "debug"
[limits]
upload = "1MiB"
swarm_download = "100kB"
[cmd]
allow_shutdown = true
[seed]
paths = ["/srv"]
`))
	if err != nil {
		t.Fatal(err)
	}
	r := Diff(running, next)
	if want := []string{"limits.swarm_download", "limits.upload", "log.level"}; !slices.Equal(r.Applied, want) {
		t.Errorf("Applied = %v, want %v", r.Applied, want)
	}
	if want := []string{"cmd.allow_shutdown", "node.listen", "seed.paths"}; !slices.Equal(r.NotReloaded, want) {
		t.Errorf("NotReloaded = %v, want %v", r.NotReloaded, want)
	}
	if r.Config.Log.Level != "debug" || r.Config.Limits.Rates().Upload != 1<<20 || r.Config.Limits.Rates().SwarmDownload != 1e5 {
		t.Errorf("live keys not applied: %+v", r.Config)
	}
	if r.Config.Node.Listen != running.Node.Listen || r.Config.CMD.AllowShutdown || len(r.Config.Seed.Paths) != 0 {
		t.Errorf("restart-only keys applied: %+v", r.Config)
	}
}

// TestLiveKeysMatchApplyLive changes every key at once: applyLive must copy exactly the keys
// liveKeys names, so the list logged as applied is the list actually applied.
func TestLiveKeysMatchApplyLive(t *testing.T) {
	var zero Config
	fullKeys := allKeys()
	r := Diff(zero, fullConfig())
	if !slices.Equal(r.Applied, liveKeys) {
		t.Errorf("Applied = %v, want liveKeys %v", r.Applied, liveKeys)
	}
	if len(r.Applied)+len(r.NotReloaded) != len(fullKeys) {
		t.Errorf("%d applied + %d not reloaded, want %d keys", len(r.Applied), len(r.NotReloaded), len(fullKeys))
	}
	if got := changedKeys(zero, r.Config); !slices.Equal(got, liveKeys) {
		t.Errorf("Diff's Config changed %v, want exactly %v", got, liveKeys)
	}
}

func TestDiffUnchanged(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	again, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if r := Diff(c, again); len(r.Applied) != 0 || len(r.NotReloaded) != 0 {
		t.Fatalf("%+v", r)
	}
}

func TestReloadFileKeepsRunningConfigOnError(t *testing.T) {
	running, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReloadFile(write(t, "[log]\nlevel = \"loud\"\n"), running)
	if err == nil {
		t.Fatal("invalid file accepted")
	}
	if r.Config.Log.Level != running.Log.Level || len(r.Applied)+len(r.NotReloaded) != 0 {
		t.Fatalf("%+v", r)
	}
	r, err = ReloadFile(write(t, "[log]\nlevel = \"warn\"\n"), running)
	if err != nil || r.Config.Log.Level != "warn" || !slices.Equal(r.Applied, []string{"log.level"}) {
		t.Fatalf("%+v, %v", r, err)
	}
}
