//go:build !linux

package storage

import "os"

// changeTime is 0 where the status change time is not read: the identity is then device,
// inode, size and modification time only (see doc.go).
func changeTime(os.FileInfo) int64 { return 0 }

// fileNumbers is 0, 0 where device and inode are not read: a layer file then records
// size and times only (layers.go).
func fileNumbers(os.FileInfo) (dev, ino uint64) { return 0, 0 }
