//go:build race

package server

// raceEnabled reports a -race build: tests that move hundreds of
// megabytes scale down under the detector's time and memory overhead.
const raceEnabled = true
