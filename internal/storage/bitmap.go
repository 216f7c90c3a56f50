package storage

import "math/bits"

// bitmap is one bit per chunk.
type bitmap []uint64

func newBitmap(n uint64) bitmap { return make(bitmap, (n+63)/64) }

func (b bitmap) get(i uint64) bool { return i/64 < uint64(len(b)) && b[i/64]&(1<<(i%64)) != 0 }
func (b bitmap) set(i uint64)      { b[i/64] |= 1 << (i % 64) }
func (b bitmap) unset(i uint64)    { b[i/64] &^= 1 << (i % 64) }

// allSet reports whether bits from…to (inclusive) are all set.
func (b bitmap) allSet(from, to uint64) bool {
	if to/64 >= uint64(len(b)) || from > to {
		return false
	}
	for w := from / 64; w <= to/64; w++ {
		mask := ^uint64(0)
		if w == from/64 {
			mask &= ^uint64(0) << (from % 64)
		}
		if w == to/64 {
			mask &= ^uint64(0) >> (63 - to%64)
		}
		if b[w]&mask != mask {
			return false
		}
	}
	return true
}

func (b bitmap) count() int {
	c := 0
	for _, w := range b {
		c += bits.OnesCount64(w)
	}
	return c
}

// appendBytes appends the first n bits as ceil(n/8) bytes, bit i = 1<<(i%8) of byte i/8.
func (b bitmap) appendBytes(dst []byte, n uint64) []byte {
	for i := uint64(0); i < (n+7)/8; i++ {
		dst = append(dst, byte(b[i/8]>>(8*(i%8))))
	}
	return dst
}

// bitmapFromBytes is the inverse of appendBytes. It reports false when a bit past n is set.
func bitmapFromBytes(p []byte, n uint64) (bitmap, bool) {
	b := newBitmap(n)
	for i, v := range p {
		b[i/8] |= uint64(v) << (8 * (i % 8))
	}
	if r := n % 8; r != 0 && len(p) > 0 && p[len(p)-1]>>r != 0 {
		return nil, false
	}
	return b, true
}
