package dht

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"sync/atomic"

	adht "github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
)

// announceTo is how many of the closest nodes that gave a token are sent announce_peer
// (BEP 5's K).
const announceTo = 8

// tokenHolder is a node that answered get_peers with a token, which announce_peer must
// carry back to it.
type tokenHolder struct {
	node  krpc.NodeInfo
	token string
}

// closestHolders keeps the announceTo holders nearest to key by XOR distance.
func closestHolders(key [KeySize]byte, hs []tokenHolder) []tokenHolder {
	dist := func(id krpc.ID) []byte {
		d := make([]byte, KeySize)
		for i := range d {
			d[i] = id[i] ^ key[i]
		}
		return d
	}
	slices.SortFunc(hs, func(a, b tokenHolder) int { return bytes.Compare(dist(a.node.ID), dist(b.node.ID)) })
	return hs[:min(len(hs), announceTo)]
}

// announce sends announce_peer (BEP 5) to the closest token holders at once and reports how
// many accepted. The library can announce at the end of a traversal too, but does not say
// whether any node took it; an announce no node took is retried soon instead of in 15 min.
func (d *DHT) announce(ctx context.Context, srv *adht.Server, key [KeySize]byte, hs []tokenHolder) int {
	var accepted atomic.Int32
	var wg sync.WaitGroup
	port := int(d.cfg.AnnouncePort)
	for _, h := range closestHolders(key, hs) {
		wg.Go(func() {
			res := srv.Query(ctx, adht.NewAddr(h.node.Addr.UDP()), "announce_peer", adht.QueryInput{
				MsgArgs: krpc.MsgArgs{InfoHash: key, Port: &port, Token: h.token},
			})
			if res.ToError() == nil {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	return int(accepted.Load())
}
