//go:build linux

package node

import (
	"encoding/binary"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// UDP segmentation offload (Linux 4.18+ for GSO, 5.0+ for GRO). With GSO one send hands the
// kernel a run of equal-sized datagrams to one destination, cut apart below the socket
// layer; with GRO the kernel hands up such a run as one buffer. Over loopback a GSO run
// reaches a GRO socket without ever being cut, so the per-datagram cost nearly vanishes.

const offloadSupported = true

// enableGRO asks the kernel to coalesce received datagrams; it reports whether it can.
func enableGRO(conn *net.UDPConn) bool {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 1)
	}); err != nil {
		return false
	}
	return serr == nil
}

// gsoControl writes the control message that tells the kernel the segment size of a GSO
// send into oob and returns it.
func gsoControl(oob []byte, segment int) []byte {
	n := unix.CmsgSpace(2)
	oob = oob[:n]
	clear(oob)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level = unix.SOL_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(oob[unix.CmsgLen(0):], uint16(segment))
	return oob
}

// groSegment reads the segment size from a received message's control data; 0 when the
// buffer holds a single datagram.
func groSegment(oob []byte) int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_UDP && m.Header.Type == unix.UDP_GRO {
			switch {
			case len(m.Data) >= 4:
				return int(binary.NativeEndian.Uint32(m.Data))
			case len(m.Data) >= 2:
				return int(binary.NativeEndian.Uint16(m.Data))
			}
		}
	}
	return 0
}

// oobSize is room for the GSO/GRO control message.
var oobSize = unix.CmsgSpace(4)
