//go:build linux

package netlab

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bottleneck puts a token bucket (tbf) on dev's egress in ns: rate in bits per second, and
// a queue that holds at most buffer's worth of traffic at that rate (tbf's limit, in
// bytes); what does not fit is dropped, as at a real bottleneck's tail-drop queue.
func (ns *NS) Bottleneck(dev string, rate int64, buffer time.Duration) {
	ns.lab.t.Helper()
	// The bucket must hold at least a few full-size packets; 4 ms at the rate keeps a
	// burst short next to the buffer being measured.
	burst := max(rate/8*4/1000, 32*1024)
	ns.Must("tc", "qdisc", "replace", "dev", dev, "root", "tbf",
		"rate", strconv.FormatInt(rate, 10)+"bit",
		"burst", strconv.FormatInt(burst, 10),
		"limit", strconv.FormatInt(int64(float64(rate)/8*buffer.Seconds()), 10))
}

// Loss drops percent % of the UDP datagrams arriving at ns, at random, on every interface
// (nftables numgen). On a router every datagram through it arrives exactly once, so that is
// percent % loss in each direction of every path through the router, forwarded or relayed.
func (ns *NS) Loss(percent int) {
	ns.lab.t.Helper()
	if percent < 0 || percent > 100 {
		ns.lab.t.Fatalf("netlab: loss %d%% is not a percentage", percent)
	}
	ns.nft(fmt.Sprintf(`table inet netlab_loss {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		meta l4proto udp numgen random mod 100 < %d drop
	}
}
`, percent))
}

// nft loads a ruleset fragment into ns.
func (ns *NS) nft(script string) {
	ns.lab.t.Helper()
	cmd := ns.Command(ns.lab.t.Context(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		ns.lab.t.Fatalf("netlab: nft in %s: %v: %s\n%s", ns.short, err, out, script)
	}
}

// QdiscDrops is how many packets the root qdisc of dev in ns has dropped so far (tc's
// statistics): at a tbf bottleneck, the tail drops of a full queue.
func (ns *NS) QdiscDrops(dev string) (uint64, error) {
	out, err := ns.Run("tc", "-s", "-j", "qdisc", "show", "dev", dev, "root")
	if err != nil {
		return 0, err
	}
	var qs []struct {
		Drops uint64 `json:"drops"`
	}
	if err := json.Unmarshal([]byte(out), &qs); err != nil {
		return 0, fmt.Errorf("tc qdisc statistics in %s: %w", ns.short, err)
	}
	if len(qs) == 0 {
		return 0, fmt.Errorf("tc qdisc statistics in %s: no qdisc on %s", ns.short, dev)
	}
	return qs[0].Drops, nil
}
