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
