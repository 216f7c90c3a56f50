package booster

import (
	"errors"
	"testing"
)

const rssFeed = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>t</title>
<item><title>episode 2 ` + sha1Hex2 + `</title><link>https://example.org/2</link></item>
<item><title>episode 1</title><link>tswift://127.0.0.1:6778/` + sha1Hex + `</link>
  <description>&lt;a href="tswift:/` + sha256Hex + `"&gt;watch&lt;/a&gt;</description>
  <enclosure url="ppsp://127.0.0.1:7000/` + sha1Hex + `" type="video/mp4" length="1"/></item>
</channel></rss>`

const atomFeed = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id><updated>2026-12-01T00:00:00Z</updated>
<entry><title>a</title><id>1</id><updated>2026-12-01T00:00:00Z</updated>
<link href="tswift:/` + sha1Hex + `"/><content type="html">also ` + sha1Hex2 + `</content></entry>
</feed>`

const jsonFeed = `{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[
{"id":"1","url":"tswift://127.0.0.1:9/` + sha1Hex + `","content_text":"x"},
{"id":"2","title":"` + sha256Hex + `","attachments":[{"url":"tswift:/` + sha1Hex2 + `","mime_type":"video/mp4"}]}]}`

func TestFeedLinks(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string // hex IDs in order
		peerOf     map[string]string
	}{
		{"rss", rssFeed, []string{sha1Hex2, sha1Hex, sha256Hex}, map[string]string{sha1Hex: "127.0.0.1:6778"}},
		{"atom", atomFeed, []string{sha1Hex, sha1Hex2}, nil},
		{"json", jsonFeed, []string{sha1Hex, sha1Hex2, sha256Hex}, map[string]string{sha1Hex: "127.0.0.1:9"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			links, err := FeedLinks([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range links {
				got = append(got, hexOf(l.SwarmID))
				if p, ok := c.peerOf[hexOf(l.SwarmID)]; ok && l.Peer != p {
					t.Errorf("%s: peer %q, want %q", hexOf(l.SwarmID), l.Peer, p)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			}
		})
	}
}

// TestFeedLinksMalformed: bodies that are not feeds are ErrMalformed, never a panic.
func TestFeedLinksMalformed(t *testing.T) {
	for _, body := range []string{
		"", "plain text " + sha1Hex, "<rss><channel><item><title>unclosed", `{"version":`, "\x00\xff\xfe<<<",
		`<?xml version="1.0"?><rss version="2.0"><channel><item><title>&undefined;</title></item></channel></rss>`,
		`<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><item><title>&b;</title></item></channel></rss>`,
	} {
		links, err := FeedLinks([]byte(body))
		if err == nil {
			// A lenient parser may read some of these; it must then give sane links.
			for _, l := range links {
				if len(l.SwarmID) == 0 {
					t.Errorf("%q: empty swarm ID", body)
				}
			}
			continue
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", body, err)
		}
	}
}
