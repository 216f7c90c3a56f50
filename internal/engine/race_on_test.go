//go:build race

package engine

// raceDetector tells the long simulations to skip: they are deterministic and run on one
// goroutine, so the race detector finds nothing in them and only makes them ten times slower.
const raceDetector = true
