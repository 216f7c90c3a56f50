package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Checkpoint format version 2 is written, versions 1 and 2 are read; the layout is
// documented in doc.go. They differ only in the encoding of the known hashes.
const (
	ckptMagic     = "PPSPPDCK"
	ckptVersion   = 2
	ckptVersion1  = 1
	ckptHeaderLen = 48
	ckptCRCLen    = 4
	flagSizeKnown = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkpoint is a decoded checkpoint file, checked for shape but not yet for hashes.
type checkpoint struct {
	hf        hashtree.HashFunc
	chunkSize int
	size      int64 // -1 when unknown
	n         uint64
	root      []byte
	verified  bitmap
	frontier  []byte
	format    hashtree.FrontierFormat // the frontier's layout, given by the version
}

// frontierFormats maps the versions this build reads to their frontier layouts: version 1
// could not hold the hashes on the tree's right edge (see hashtree.FrontierFilled).
var frontierFormats = map[uint16]hashtree.FrontierFormat{
	ckptVersion1: hashtree.FrontierFilled,
	ckptVersion:  hashtree.FrontierEdge,
}

// encodeCheckpoint appends the checkpoint of tree and verified (the first tree.NumChunks()
// bits) to dst.
func encodeCheckpoint(dst []byte, tree *hashtree.Tree, verified bitmap) []byte {
	n := tree.NumChunks()
	start := len(dst)
	var flags byte
	size, sizeKnown := tree.Size()
	if sizeKnown {
		flags |= flagSizeKnown
	} else {
		size = 0
	}
	dst = append(dst, ckptMagic...)
	dst = binary.BigEndian.AppendUint16(dst, ckptVersion)
	dst = append(dst, byte(tree.HashFunc()), flags)
	dst = binary.BigEndian.AppendUint32(dst, uint32(tree.ChunkSize()))
	dst = binary.BigEndian.AppendUint64(dst, uint64(size))
	dst = binary.BigEndian.AppendUint64(dst, n)
	count := 0
	if n > 0 {
		count = verified.count()
	}
	dst = binary.BigEndian.AppendUint64(dst, uint64(count))
	lenAt := len(dst)
	dst = binary.BigEndian.AppendUint64(dst, 0) // payload length, patched below
	dst = append(dst, tree.Root()...)
	payload := len(dst)
	if n > 0 {
		dst = verified.appendBytes(dst, n)
	}
	dst = tree.AppendFrontier(dst)
	binary.BigEndian.PutUint64(dst[lenAt:], uint64(len(dst)-payload))
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// decodeCheckpoint parses and checks a checkpoint file's framing: length, magic, version,
// checksum, field ranges and bitmap shape. The hashes are checked later, by
// hashtree.Restore.
func decodeCheckpoint(b []byte) (*checkpoint, error) {
	if len(b) < ckptHeaderLen+ckptCRCLen {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the header", ErrCheckpoint, len(b))
	}
	if !bytes.Equal(b[:8], []byte(ckptMagic)) {
		return nil, fmt.Errorf("%w: bad magic %q", ErrCheckpoint, b[:8])
	}
	body, sum := b[:len(b)-ckptCRCLen], binary.BigEndian.Uint32(b[len(b)-ckptCRCLen:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: CRC-32C mismatch (torn or corrupt)", ErrCheckpoint)
	}
	v := binary.BigEndian.Uint16(b[8:])
	format, ok := frontierFormats[v]
	if !ok {
		return nil, fmt.Errorf("%w: version %d, this build reads %d and %d", ErrCheckpointVersion, v, ckptVersion1, ckptVersion)
	}
	c := &checkpoint{
		format:    format,
		hf:        hashtree.HashFunc(b[10]),
		chunkSize: int(binary.BigEndian.Uint32(b[12:])),
		size:      int64(binary.BigEndian.Uint64(b[16:])),
		n:         binary.BigEndian.Uint64(b[24:]),
	}
	flags := b[11]
	count := binary.BigEndian.Uint64(b[32:])
	payloadLen := binary.BigEndian.Uint64(b[40:])
	switch {
	case !c.hf.Valid():
		return nil, fmt.Errorf("%w: hash function %d", ErrCheckpoint, b[10])
	case flags&^flagSizeKnown != 0:
		return nil, fmt.Errorf("%w: unknown flags %#x", ErrCheckpoint, flags)
	case c.chunkSize < 1:
		return nil, fmt.Errorf("%w: chunk size %d", ErrCheckpoint, c.chunkSize)
	case flags&flagSizeKnown == 0 && c.size != 0, flags&flagSizeKnown != 0 && c.size <= 0:
		return nil, fmt.Errorf("%w: content size %d with flags %#x", ErrCheckpoint, c.size, flags)
	}
	if flags&flagSizeKnown == 0 {
		c.size = -1
	} else if want := (uint64(c.size) + uint64(c.chunkSize) - 1) / uint64(c.chunkSize); c.n != want {
		// A known size fixes the chunk count. Checked here, before a tree is made
		// for the size, which could be gigabytes of hashes for a size that lies.
		return nil, fmt.Errorf("%w: %d chunks stored, content size %d gives %d", ErrCheckpoint, c.n, c.size, want)
	}
	hl := c.hf.Size()
	if uint64(len(body)) != ckptHeaderLen+uint64(hl)+payloadLen {
		return nil, fmt.Errorf("%w: payload length %d does not match file length %d", ErrCheckpoint, payloadLen, len(b))
	}
	c.root = body[ckptHeaderLen : ckptHeaderLen+hl]
	payload := body[ckptHeaderLen+hl:]
	mapLen := (c.n + 7) / 8
	if c.n > 1<<40 || mapLen > uint64(len(payload)) {
		return nil, fmt.Errorf("%w: %d chunks do not fit the payload", ErrCheckpoint, c.n)
	}
	if c.verified, ok = bitmapFromBytes(payload[:mapLen], c.n); !ok {
		return nil, fmt.Errorf("%w: verified bits past the last chunk", ErrCheckpoint)
	}
	if uint64(c.verified.count()) != count {
		return nil, fmt.Errorf("%w: %d verified bits, header says %d", ErrCheckpoint, c.verified.count(), count)
	}
	c.frontier = payload[mapLen:]
	return c, nil
}
