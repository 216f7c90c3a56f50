package livebuf

import "context"

// MPEG-TS framing (ISO/IEC 13818-1 §2.4.3.2): fixed 188-byte packets, each starting with
// the sync byte 0x47, then the payload_unit_start_indicator bit, a 13-bit PID, and the
// adaptation_field_control bits, whose value 00 is reserved and never sent.
const (
	tsPacketSize = 188
	tsSyncByte   = 0x47
	tsHeaderSize = 4
	tsPIDPAT     = 0 // the Program Association Table's PID
)

// TSStart returns an offset in chunk where an MPEG-TS packet starts, preferring the start
// of a PAT section (a packet of PID 0 with payload_unit_start set): a demuxer joining
// there learns the programs at once. It reports false when chunk does not look like
// MPEG-TS: every 188th byte from the offset on must be the sync byte, at least two of them
// when the chunk is longer than one packet, and the packet headers that fit must not use
// the reserved adaptation_field_control value. A chunk shorter than two packets may hide
// an alignment whose second sync byte lies past its end; it then reports false too, and
// TuneIn looks at later chunks.
func TSStart(chunk []byte) (int, bool) {
	first, pat, ok := tsScan(chunk)
	if !ok {
		return 0, false
	}
	if pat >= 0 {
		return pat, true
	}
	return first, true
}

// tsScan finds the first packet alignment in chunk and, at that alignment, the first PAT
// start (-1 when none).
func tsScan(chunk []byte) (first, pat int, ok bool) {
	for o := 0; o < tsPacketSize && o < len(chunk); o++ {
		if !tsAligned(chunk, o) {
			continue
		}
		pat = -1
		for q := o; q+tsHeaderSize <= len(chunk); q += tsPacketSize {
			if tsIsPATStart(chunk[q:]) {
				pat = q
				break
			}
		}
		return o, pat, true
	}
	return 0, -1, false
}

// tsAligned reports whether packets start at o, o+188, ... to the end of chunk.
func tsAligned(chunk []byte, o int) bool {
	if len(chunk) > tsPacketSize && o+tsPacketSize >= len(chunk) {
		return false // only one sync byte at this offset although the chunk could show two
	}
	for q := o; q < len(chunk); q += tsPacketSize {
		if chunk[q] != tsSyncByte {
			return false
		}
		if q+tsHeaderSize <= len(chunk) && chunk[q+3]&0x30 == 0 {
			return false
		}
	}
	return true
}

// tsIsPATStart reports whether the packet header at the start of h begins a PAT section.
func tsIsPATStart(h []byte) bool {
	pusi := h[1]&0x40 != 0
	pid := uint16(h[1]&0x1f)<<8 | uint16(h[2])
	return pusi && pid == tsPIDPAT
}

// TuneIn picks where a player joining the stream now should start: it waits for the first
// chunk, takes the chunk about lag chunks behind the edge (not before the oldest held; a
// gap moves it forward to the next held), and, if that chunk looks like MPEG-TS, moves
// forward to the first chunk (up to the edge) holding a PAT start, returning that packet's
// offset. Without a PAT it returns the start chunk's first packet boundary, and for content
// that is not MPEG-TS offset 0. Errors: ErrClosed, or ctx's.
//
// Starting behind the edge gives the reader chunks to send at once, so a player's buffer
// fills before it waits on the source's pace.
func (b *Buffer) TuneIn(ctx context.Context, lag uint64) (chunk uint64, offset int, err error) {
	if _, err := b.waitUntil(ctx, func() (bool, error) { return b.hasEdge, nil }); err != nil {
		return 0, 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, 0, ErrClosed
	}
	start := uint64(0)
	if b.edge > lag {
		start = b.edge - lag
	}
	start, ok := b.nextHeldLocked(start)
	if !ok {
		// Unreachable: the edge chunk is always held until Close.
		return b.edge, 0, nil
	}
	c, _ := b.slotLocked(start)
	firstOff, _, isTS := tsScan(c)
	if !isTS {
		return start, 0, nil
	}
	for i := start; i <= b.edge; i++ {
		c, ok := b.slotLocked(i)
		if !ok {
			continue
		}
		if _, pat, ok := tsScan(c); ok && pat >= 0 {
			return i, pat, nil
		}
	}
	return start, firstOff, nil
}
