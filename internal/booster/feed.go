package booster

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/mmcdole/gofeed"

	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// ErrMalformed marks a body that is not an RSS, Atom or JSON feed.
var ErrMalformed = errors.New("not a valid RSS, Atom or JSON feed")

// maxItems bounds the items read from one feed.
const maxItems = 10000

// FeedLinks parses an RSS, Atom or JSON feed and extracts the swarm links of its items (see
// Extract), in feed order, each swarm once. Only the items' links, enclosure URLs, titles,
// descriptions and contents are read. A body that does not parse gives an error wrapping
// ErrMalformed; a parser panic on hostile input is turned into that error too, so that no
// feed can stop the daemon.
func FeedLinks(body []byte) (links []swarmurl.Link, err error) {
	defer func() {
		if r := recover(); r != nil {
			links, err = nil, fmt.Errorf("%w: parser failed: %v", ErrMalformed, r)
		}
	}()
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var texts []string
	for i, it := range feed.Items {
		if i >= maxItems {
			break
		}
		if it == nil {
			continue
		}
		texts = append(texts, it.Link)
		texts = append(texts, it.Links...)
		for _, enc := range it.Enclosures {
			if enc != nil {
				texts = append(texts, enc.URL)
			}
		}
		texts = append(texts, it.Title, it.Description, it.Content)
	}
	return mergeLinks(nil, texts...), nil
}

// mergeLinks appends the links of each text to links, each swarm once (a link with a peer
// replaces one without).
func mergeLinks(links []swarmurl.Link, texts ...string) []swarmurl.Link {
	var set linkSet
	for _, l := range links {
		set.add(l)
	}
	for _, t := range texts {
		if t == "" {
			continue
		}
		for _, l := range Extract(t) {
			set.add(l)
		}
	}
	return set.links
}
