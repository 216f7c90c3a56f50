//go:build !linux

package node

import "net"

const offloadSupported = false

var oobSize = 0

func enableGRO(*net.UDPConn) bool         { return false }
func gsoControl(oob []byte, _ int) []byte { return oob[:0] }
func groSegment([]byte) int               { return 0 }
