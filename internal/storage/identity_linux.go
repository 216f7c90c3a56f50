package storage

import (
	"os"
	"syscall"
)

// changeTime is the inode's status change time (ctime) in ns. The kernel sets it on every
// write, truncate and timestamp change, and nobody can set it back, so it also catches a
// rewrite that restores the modification time (touch -r).
func changeTime(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctim.Nano()
	}
	return 0
}

// fileNumbers are the device and inode numbers, which a layer file records so that a
// later run can tell the content file was replaced (layers.go).
func fileNumbers(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Dev, st.Ino
	}
	return 0, 0
}
