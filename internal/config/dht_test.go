package config

import (
	"slices"
	"strings"
	"testing"
)

// TestDHTOffByDefault: the embedded defaults leave the DHT off with no bootstrap node, so a
// daemon nobody configured never contacts a DHT node.
func TestDHTOffByDefault(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.DHT.Enabled || len(c.DHT.Bootstrap) != 0 || c.DHT.Listen != "0.0.0.0:6781" {
		t.Fatalf("default [dht] = %+v", c.DHT)
	}
}

func TestDHTTableAccepted(t *testing.T) {
	c, err := Load(write(t, `[dht]
enabled = true
listen = "127.0.0.1:0"
bootstrap = ["127.0.0.1:6881", "[::1]:6881", "router.example.org:6881"]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1:6881", "[::1]:6881", "router.example.org:6881"}
	if !c.DHT.Enabled || c.DHT.Listen != "127.0.0.1:0" || !slices.Equal(c.DHT.Bootstrap, want) {
		t.Fatalf("[dht] = %+v", c.DHT)
	}
}

func TestDHTErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"[dht]\nlisten = \"6781\"\n":                         `dht.listen = "6781": want HOST:PORT`,
		"[dht]\nlisten = \"\"\n":                             `dht.listen = "": want HOST:PORT`,
		"[dht]\nbootstrap = [\"127.0.0.1\"]\n":               `dht.bootstrap[0] = "127.0.0.1": peer "127.0.0.1": want HOST:PORT`,
		"[dht]\nbootstrap = [\"a:1\", \":6881\"]\n":          `dht.bootstrap[1] = ":6881": peer ":6881": want HOST:PORT`,
		"[dht]\nbootstrap = [\"a:0\"]\n":                     `dht.bootstrap[0] = "a:0": bad port "0": want 1 to 65535`,
		"[dht]\nbootstrap = [\"a:70000\"]\n":                 `port "70000"`,
		"[dht]\nbootstrap = \"a:1\"\n":                       "dht.bootstrap: want an array of strings, got a string",
		"[dht]\nenabled = \"yes\"\n":                         "dht.enabled: want a boolean",
		"[dht]\nbootstrp = []\n":                             "unknown key dht.bootstrp",
		"[dht]\nenabled = true\nlisten = \"0.0.0.0:6778\"\n": "dht.listen = \"0.0.0.0:6778\": the same UDP port as node.listen",
		"[node]\nlisten = \"127.0.0.1:7000\"\n[dht]\nenabled = true\nlisten = \"127.0.0.1:7000\"\n": "the same UDP port as node.listen",
	}
	for body, want := range cases {
		_, err := Load(write(t, body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", body, err, want)
		}
	}
	// Off, the port may equal node.listen's: nothing binds it.
	if _, err := Load(write(t, "[dht]\nlisten = \"0.0.0.0:6778\"\n")); err != nil {
		t.Errorf("disabled DHT on node.listen's port: %v", err)
	}
}
