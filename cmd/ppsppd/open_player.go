package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// player is the command open runs: argv with url as its last argument.
type player struct {
	argv []string
	url  string
}

// choosePlayer picks the player for a swarm the HTTP gateway serves at playURL
// (BASE/HEX): $PPSPPD_PLAYER (env, split into words), else mpv or vlc when on PATH, both of
// which play an HTTP URL with seeking, else xdg-open on the swarm's /watch page, which the
// desktop's browser plays (and lists the files of a multi-file swarm).
func choosePlayer(env, playURL, hexID string) (player, error) {
	if strings.TrimSpace(env) != "" {
		argv, err := splitWords(env)
		if err != nil {
			return player{}, fmt.Errorf("%s: %w", playerEnv, err)
		}
		return player{argv: append(argv, playURL), url: playURL}, nil
	}
	for _, name := range []string{"mpv", "vlc"} {
		if path, err := exec.LookPath(name); err == nil {
			return player{argv: []string{path, playURL}, url: playURL}, nil
		}
	}
	path, err := exec.LookPath("xdg-open")
	if err != nil {
		return player{}, fmt.Errorf("no player found: set %s, or install mpv or vlc (or xdg-open); the swarm plays at %s", playerEnv, playURL)
	}
	watch := strings.TrimSuffix(playURL, "/"+hexID) + "/watch/" + hexID
	return player{argv: []string{path, watch}, url: watch}, nil
}

// runPlayer runs the player in the foreground (it shares the terminal) and waits for it;
// a signal to open ends the player too.
func runPlayer(ctx context.Context, p player) error {
	c := exec.CommandContext(ctx, p.argv[0], p.argv[1:]...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return interruptedError{errors.New("interrupted")}
	case errors.As(err, &ee):
		return fmt.Errorf("player %s: %w", p.argv[0], err)
	}
	return fmt.Errorf("starting player %s: %w", p.argv[0], err)
}

// splitWords splits s into words as a POSIX shell would, without expansions: blanks
// separate words; single quotes keep everything up to the next one; double quotes keep
// everything but a backslash before " \ $ or `; a backslash outside quotes keeps the next
// character.
func splitWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // a word is open (it may be empty: '')
	)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, errors.New("ends with a backslash")
			}
			i++
			cur.WriteRune(rs[i])
			in = true
		case r == '\'':
			end := indexRune(rs, i+1, '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(string(rs[i+1 : end]))
			i, in = end, true
		case r == '"':
			i++
			for ; i < len(rs) && rs[i] != '"'; i++ {
				if rs[i] == '\\' && i+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[i+1]) {
					i++
				}
				cur.WriteRune(rs[i])
			}
			if i >= len(rs) {
				return nil, errors.New("unterminated double quote")
			}
			in = true
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("names no program")
	}
	return words, nil
}

func indexRune(rs []rune, from int, r rune) int {
	for i := from; i < len(rs); i++ {
		if rs[i] == r {
			return i
		}
	}
	return -1
}
