// Package capture reads recorded UDP traffic for offline tools and tests: pcap and pcapng
// files (through gopacket's pure-Go readers) and the hex-dump text format of ppsppd's shared
// interop data, one datagram a line: "SECONDS DIRECTION LENGTH HEX", DIRECTION being
// "from->to". It knows nothing of PPSPP; it only yields UDP payloads with their endpoints.
package capture

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Record is one captured UDP datagram.
type Record struct {
	Index   int           // 1-based position among the UDP datagrams of the capture
	Time    time.Duration // since the first record
	Src     string        // sending endpoint: "ip:port" from a pcap, a name from a hex dump
	Dst     string        // receiving endpoint, same form
	Payload []byte        // the UDP payload
}

// MaxHexLine caps one hex-dump line: a 64 KiB UDP payload in hex plus its fields.
const MaxHexLine = 2*65536 + 256

// ReadFile reads a pcap, pcapng or hex-dump file, telling the formats apart by content.
func ReadFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := Read(f)
	if err != nil {
		return recs, fmt.Errorf("%s: %w", path, err)
	}
	return recs, nil
}

// Read reads a capture from r in any of the supported formats.
func Read(r io.Reader) ([]Record, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch {
	case isPcapMagic(magic):
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("pcap header: %w", err)
		}
		return readPackets(pr, pr.LinkType())
	case bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}):
		nr, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, fmt.Errorf("pcapng header: %w", err)
		}
		return readPackets(nr, nr.LinkType())
	}
	return readHex(br)
}

func isPcapMagic(m []byte) bool {
	if len(m) < 4 {
		return false
	}
	for _, v := range [][]byte{
		{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, // microsecond pcap, LE and BE
		{0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, // nanosecond pcap
	} {
		if bytes.Equal(m[:4], v) {
			return true
		}
	}
	return false
}

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// readPackets keeps the UDP datagrams of a capture and skips everything else.
func readPackets(src packetSource, link layers.LinkType) ([]Record, error) {
	var recs []Record
	var first time.Time
	for {
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return recs, fmt.Errorf("packet %d: %w", len(recs)+1, err)
		}
		pkt := gopacket.NewPacket(data, link, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok {
			continue
		}
		var srcIP, dstIP string
		if nl := pkt.NetworkLayer(); nl != nil {
			srcIP, dstIP = nl.NetworkFlow().Src().String(), nl.NetworkFlow().Dst().String()
		}
		if len(recs) == 0 {
			first = ci.Timestamp
		}
		recs = append(recs, Record{
			Index:   len(recs) + 1,
			Time:    ci.Timestamp.Sub(first),
			Src:     joinHostPort(srcIP, int(udp.SrcPort)),
			Dst:     joinHostPort(dstIP, int(udp.DstPort)),
			Payload: udp.Payload,
		})
	}
}

func joinHostPort(ip string, port int) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:" + strconv.Itoa(port)
	}
	return ip + ":" + strconv.Itoa(port)
}

// readHex parses the hex-dump format. Blank lines and lines starting with '#' are skipped.
// ErrNotCapture: the input is none of the formats Read takes.
var ErrNotCapture = errors.New("not a pcap, pcapng or hex dump (one datagram a line: SECONDS FROM->TO LENGTH HEX)")

func readHex(r io.Reader) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), MaxHexLine)
	var recs []Record
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		rec, err := parseHexLine(text)
		if err != nil {
			if len(recs) == 0 {
				// Not one datagram read: most likely no capture at all, not a damaged one.
				return nil, fmt.Errorf("%w (line %d: %w)", ErrNotCapture, line, err)
			}
			return recs, fmt.Errorf("line %d: %w", line, err)
		}
		rec.Index = len(recs) + 1
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		if len(recs) == 0 {
			return nil, fmt.Errorf("%w (%w)", ErrNotCapture, err)
		}
		return recs, fmt.Errorf("hex dump: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: no datagram in it", ErrNotCapture)
	}
	return recs, nil
}

func parseHexLine(text string) (Record, error) {
	f := strings.Fields(text)
	if len(f) != 4 {
		return Record{}, fmt.Errorf("want 4 fields (seconds direction length hex), got %d", len(f))
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil || secs < 0 {
		return Record{}, fmt.Errorf("bad time %q", f[0])
	}
	src, dst, ok := strings.Cut(f[1], "->")
	if !ok || src == "" || dst == "" {
		return Record{}, fmt.Errorf("bad direction %q (want from->to)", f[1])
	}
	n, err := strconv.Atoi(f[2])
	if err != nil || n < 0 {
		return Record{}, fmt.Errorf("bad length %q", f[2])
	}
	payload, err := hex.DecodeString(f[3])
	if err != nil {
		return Record{}, fmt.Errorf("bad hex: %w", err)
	}
	if len(payload) != n {
		return Record{}, fmt.Errorf("length field says %d bytes, hex has %d", n, len(payload))
	}
	return Record{Time: time.Duration(secs * float64(time.Second)), Src: src, Dst: dst, Payload: payload}, nil
}
