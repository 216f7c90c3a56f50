// Package testcontent regenerates the interop test content (../shared/interop/gen_content.py)
// bit for bit, so tests can use the megabyte files libswift hashed without storing them.
package testcontent

// PyRandBytes reproduces Python's random.Random(seed).randbytes(n) for a small
// non-negative seed: MT19937 seeded by init_by_array([seed]), then getrandbits(8n) as
// little-endian bytes, i.e. 32-bit outputs in order, each little-endian, the last one cut
// to its top bits. Used to regenerate the interop content (gen_content.py) without
// storing megabytes.
func PyRandBytes(seed uint32, n int) []byte {
	var mt mt19937
	mt.initByArray([]uint32{seed})
	out := make([]byte, n)
	i := 0
	for ; i+4 <= n; i += 4 {
		v := mt.next()
		out[i], out[i+1], out[i+2], out[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	if rest := n - i; rest > 0 {
		v := mt.next() >> (32 - 8*rest)
		for j := 0; j < rest; j++ {
			out[i+j] = byte(v >> (8 * j))
		}
	}
	return out
}

type mt19937 struct {
	s   [624]uint32
	idx int
}

func (m *mt19937) initGenrand(seed uint32) {
	m.s[0] = seed
	for i := 1; i < 624; i++ {
		m.s[i] = 1812433253*(m.s[i-1]^(m.s[i-1]>>30)) + uint32(i)
	}
	m.idx = 624
}

func (m *mt19937) initByArray(key []uint32) {
	m.initGenrand(19650218)
	i, j := 1, 0
	for k := max(624, len(key)); k > 0; k-- {
		m.s[i] = (m.s[i] ^ ((m.s[i-1] ^ (m.s[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= 624 {
			m.s[0] = m.s[623]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := 623; k > 0; k-- {
		m.s[i] = (m.s[i] ^ ((m.s[i-1] ^ (m.s[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= 624 {
			m.s[0] = m.s[623]
			i = 1
		}
	}
	m.s[0] = 0x80000000
}

func (m *mt19937) next() uint32 {
	if m.idx >= 624 {
		for k := 0; k < 624; k++ {
			y := m.s[k]&0x80000000 | m.s[(k+1)%624]&0x7fffffff
			v := m.s[(k+397)%624] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.s[k] = v
		}
		m.idx = 0
	}
	y := m.s[m.idx]
	m.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}
