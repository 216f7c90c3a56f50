package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// contentFlags are the swarm metadata flags shared by seed and get.
type contentFlags struct {
	chunkSize uint32
	hash      string
	listen    string
	logLevel  string
}

const hashHelp = `Merkle hash function: sha1, sha224, sha256, sha384 or sha512. New swarms use SHA-1 by
default because libswift, the deployed PPSPP peer, speaks only SHA-1 (RFC 7574's default is
SHA-256; both are mandatory to implement)`

func (f *contentFlags) register(fs *pflag.FlagSet, listenDefault string) {
	fs.Uint32Var(&f.chunkSize, "chunk-size", hashtree.DefaultChunkSize, chunkSizeHelp)
	fs.StringVar(&f.hash, "hash", "sha1", hashHelp)
	fs.StringVar(&f.listen, "listen", listenDefault, "UDP address to listen on")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
}

var chunkSizeHelp = fmt.Sprintf("chunk size in bytes, 1 to %d (a chunk must fit one UDP datagram)", hashtree.MaxChunkSize)

// checkChunkSizeFlag applies the one chunk size rule (hashtree.CheckChunkSize) to
// --chunk-size, before anything starts.
func checkChunkSizeFlag(n uint32) error {
	if err := hashtree.CheckChunkSize(uint64(n)); err != nil {
		return usagef("--chunk-size %d: %w", n, err)
	}
	return nil
}

func (f *contentFlags) hashFunc() (hashtree.HashFunc, error) {
	h, err := hashtree.ParseHashFunc(f.hash)
	if err != nil {
		return 0, usagef("--hash: %w", err)
	}
	return h, nil
}
