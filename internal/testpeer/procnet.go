package testpeer

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// KernelUDP is what Linux counts for a set of IPv4 UDP sockets in /proc/net/udp.
type KernelUDP struct {
	Sockets int    // sockets of the set found
	Drops   uint64 // datagrams dropped for them: a full receive buffer, mostly
	RxQueue uint64 // bytes received and not yet read
}

// ReadKernelUDP sums /proc/net/udp's drops and rx_queue columns over the sockets bound to
// the addresses in want (IPv4 only), so that a load test can count datagrams the kernel
// lost on their way into a socket: they never reach the program, which cannot count them.
func ReadKernelUDP(want map[netip.AddrPort]bool) (KernelUDP, error) {
	var k KernelUDP
	f, err := os.Open("/proc/net/udp")
	if err != nil {
		return k, fmt.Errorf("testpeer: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		// sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ref pointer drops
		fs := strings.Fields(sc.Text())
		if len(fs) < 13 {
			continue
		}
		local, err := parseProcAddr(fs[1])
		if err != nil {
			return k, err
		}
		if !want[local] {
			continue
		}
		_, rxq, _ := strings.Cut(fs[4], ":")
		q, err := strconv.ParseUint(rxq, 16, 64)
		if err != nil {
			return k, fmt.Errorf("testpeer: /proc/net/udp rx_queue %q: %w", fs[4], err)
		}
		d, err := strconv.ParseUint(fs[len(fs)-1], 10, 64)
		if err != nil {
			return k, fmt.Errorf("testpeer: /proc/net/udp drops %q: %w", fs[len(fs)-1], err)
		}
		k.Sockets++
		k.Drops += d
		k.RxQueue += q
	}
	if err := sc.Err(); err != nil {
		return k, fmt.Errorf("testpeer: /proc/net/udp: %w", err)
	}
	return k, nil
}

// parseProcAddr reads "0100007F:1A6A": the IPv4 address as the kernel holds it in memory
// (network order printed as a little-endian word), then the port in hex.
func parseProcAddr(s string) (netip.AddrPort, error) {
	ip, port, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ip)
	if !ok || err != nil || len(raw) != 4 {
		return netip.AddrPort{}, fmt.Errorf("testpeer: /proc/net/udp address %q", s)
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("testpeer: /proc/net/udp port %q: %w", s, err)
	}
	var a [4]byte
	binary.LittleEndian.PutUint32(a[:], binary.BigEndian.Uint32(raw))
	return netip.AddrPortFrom(netip.AddrFrom4(a), uint16(p)), nil
}
